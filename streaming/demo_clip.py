"""The demo's video files, made by `seed-demo` into DATA_DIR (never committed).

- the live demo show's looping clip, `DATA_DIR/demo/live-loop.webm`: `LOOP_SECONDS` of
  the stall scene, a keyframe every second, VP8 and Opus as a browser would publish;
- the finished demo show's recording, written by the same `Recorder` that records
  real shows, from frames stamped like the ones a publisher sends (90 kHz video,
  48 kHz audio), with captions that follow the show's journal.

Both are encoded once here; the demo publisher sends the clip's encoded frames as they
are, so a live demo costs the server no encoding at all.
"""

from __future__ import annotations

import fractions
import heapq
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from streaming.demo_scene import FPS, HEIGHT, LOOP_SECONDS, WIDTH, Caption, StallScene
from streaming.fanout import SharedFrame
from streaming.recording import Recorder

SAMPLE_RATE = 48_000
AUDIO_FRAME = 960  # 20 ms, as WebRTC sends Opus
VIDEO_CLOCK = 90_000
VIDEO_BITRATE = 500_000
AUDIO_BITRATE = 48_000
MARKET_MURMUR = 0.03  # loudness of the background noise (of full scale)


def loop_clip_path(data_dir: Path) -> Path:
    return data_dir / "demo" / "live-loop.webm"


@dataclass(frozen=True)
class EncodedFrame:
    kind: str  # "video" or "audio"
    timestamp: int  # in the kind's RTP clock: 90 kHz video, 48 kHz audio
    seconds: float
    keyframe: bool
    data: bytes


CaptionAt = Callable[[float], Caption | None]


def _video_encoder() -> av.VideoCodecContext:
    codec = av.CodecContext.create("libvpx", "w")
    assert isinstance(codec, av.VideoCodecContext)
    codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    codec.time_base = fractions.Fraction(1, FPS)
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.bit_rate = VIDEO_BITRATE
    # One thread: libvpx's worker threads spin-wait, and on a busy machine that made
    # encoding some fifty times slower.
    codec.thread_count = 1
    # One packet per picture (no hidden alt-ref frames, no look-ahead): each packet is
    # one RTP frame, as a browser's encoder sends them.
    codec.options = {
        "deadline": "realtime",
        "cpu-used": "8",
        "lag-in-frames": "0",
        "auto-alt-ref": "0",
    }
    return codec


def encode_video(
    scene: StallScene, seconds: float, caption_at: CaptionAt | None = None, clock: bool = False
) -> Iterator[EncodedFrame]:
    """The scene as VP8, a keyframe each second (a joining viewer waits at most that)."""
    codec = _video_encoder()
    for n in range(round(seconds * FPS)):
        t = n / FPS
        picture = scene.frame(t, caption_at(t) if caption_at else None, clock)
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts = n
        if n % FPS == 0:
            frame.pict_type = av.video.frame.PictureType.I
        for packet in codec.encode(frame):
            yield _video_frame(packet)
    for packet in codec.encode(None):
        yield _video_frame(packet)


def _video_frame(packet: av.Packet[Any]) -> EncodedFrame:
    pts = int(packet.pts or 0)
    return EncodedFrame(
        "video", pts * VIDEO_CLOCK // FPS, pts / FPS, bool(packet.is_keyframe), bytes(packet)
    )


def murmur(seconds: float, seed: int = 7) -> np.ndarray:
    """A quiet market murmur (smoothed noise) with a soft two-note chime at the start,
    as stereo 16-bit samples; it ends where it began, so it loops."""
    count = int(seconds * SAMPLE_RATE)
    rng = np.random.default_rng(seed)
    noise = np.convolve(rng.standard_normal(count), np.ones(48) / 48, mode="same")
    noise *= MARKET_MURMUR / max(1e-9, float(np.abs(noise).max()))
    t = np.arange(count) / SAMPLE_RATE
    chime = np.zeros(count)
    for start, pitch in ((0.0, 880.0), (0.35, 1318.5)):
        after = np.clip(t - start, 0, None)
        chime += (t >= start) * 0.08 * np.sin(2 * np.pi * pitch * after) * np.exp(-after * 4)
    mono = np.clip(noise + chime, -1, 1)
    return (np.repeat(mono[None, :], 2, axis=0) * 32767).astype(np.int16)


def encode_audio(samples: np.ndarray, seconds: float) -> Iterator[EncodedFrame]:
    """`samples` (stereo, 16-bit) repeated to fill `seconds`, as 20 ms Opus frames."""
    codec = av.CodecContext.create("libopus", "w")
    assert isinstance(codec, av.AudioCodecContext)
    codec.sample_rate, codec.layout, codec.format = SAMPLE_RATE, "stereo", "s16"
    codec.bit_rate = AUDIO_BITRATE
    length = samples.shape[1]
    count = int(seconds * SAMPLE_RATE) // AUDIO_FRAME
    packets: Iterator[av.Packet[Any]] = itertools.chain.from_iterable(
        codec.encode(_audio_chunk(samples, (n * AUDIO_FRAME) % length, n)) for n in range(count)
    )
    # Numbered in order rather than by the encoder's pts, which starts before zero
    # (Opus's pre-skip); the flush at the end would add a frame past `seconds`.
    for n, packet in enumerate(itertools.islice(packets, count)):
        pts = n * AUDIO_FRAME
        yield EncodedFrame("audio", pts, pts / SAMPLE_RATE, True, bytes(packet))


def _audio_chunk(samples: np.ndarray, at: int, n: int) -> av.AudioFrame:
    chunk = np.take(samples, range(at, at + AUDIO_FRAME), axis=1, mode="wrap")
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(chunk.T.reshape(1, -1)), format="s16", layout="stereo"
    )
    frame.sample_rate = SAMPLE_RATE
    frame.pts = n * AUDIO_FRAME
    return frame


def write_clip(
    path: Path,
    store_name: str,
    seconds: float,
    caption_at: CaptionAt | None = None,
    clock: bool = False,
) -> Path:
    """The scene with sound, written through the show recorder; returns the file."""
    scene = StallScene(store_name)
    frames = heapq.merge(
        encode_video(scene, seconds, caption_at, clock),
        encode_audio(murmur(LOOP_SECONDS), seconds),
        key=lambda f: f.seconds,
    )
    recorder = Recorder.at(path)
    try:
        for frame in frames:
            shared = SharedFrame((), frame.timestamp, frame.keyframe, frame.kind)
            if frame.kind == "video":
                recorder.on_video("VP8", shared, frame.data)
            else:
                recorder.on_audio("opus", shared, frame.data)
    finally:
        recorder.close()
    return recorder.path


def write_loop_clip(data_dir: Path, store_name: str) -> Path:
    path = loop_clip_path(data_dir)
    path.unlink(missing_ok=True)  # the recorder never overwrites; a new clip replaces
    return write_clip(path, store_name, LOOP_SECONDS)


@dataclass(frozen=True)
class ClipPacket:
    seconds: float
    data: bytes


def read_clip(path: Path) -> dict[str, list[ClipPacket]]:
    """The clip's encoded frames by kind ("video", "audio"), in order, as they are."""
    found: dict[str, list[ClipPacket]] = {"video": [], "audio": []}
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.pts is None or packet.size == 0 or packet.time_base is None:
                continue
            kind = packet.stream.type
            if kind in found:
                found[kind].append(ClipPacket(float(packet.pts * packet.time_base), bytes(packet)))
    for packets in found.values():
        packets.sort(key=lambda p: p.seconds)
    return found


def caption_script(moments: Sequence[tuple[float, Caption | None]]) -> CaptionAt:
    """The caption in force at each time, from (seconds, caption) changes in order."""
    times = [at for at, _ in moments]

    def at(t: float) -> Caption | None:
        index = int(np.searchsorted(times, t, side="right")) - 1
        return moments[index][1] if index >= 0 else None

    return at
