"""Recording a show to disk from the encoded frames as received, without re-encoding.

The frames are muxed (stream copy) with the Opus audio into a file browsers play back
directly: VP8 into WebM (`DATA_DIR/recordings/show-<id>.webm`), H.264 (OBS and hardware
encoders) into fragmented MP4 (`show-<id>.mp4`; fragments at keyframes, so a file cut
short by a crash still plays up to its last fragment). Recording starts at the first
video keyframe, where the picture size (and for H.264 the SPS/PPS) is known; audio
before it is skipped.
"""

from __future__ import annotations

import fractions
import logging
import struct
from pathlib import Path
from typing import Any

import av

from streaming import aiortc_hooks
from streaming.fanout import SharedFrame

log = logging.getLogger("jangteo.streaming.recording")

VIDEO_TIME_BASE = fractions.Fraction(1, 90_000)
AUDIO_TIME_BASE = fractions.Fraction(1, 48_000)


def recordings_dir(data_dir: Path) -> Path:
    return data_dir / "recordings"


# Container of each video codec: file suffix, FFmpeg muxer, muxer options, MIME type.
CONTAINERS = {
    "VP8": (".webm", "webm", {}, "video/webm"),
    "H264": (
        ".mp4",
        "mp4",
        # `delay_moov`: the header waits for the first keyframe, whose SPS/PPS the
        # muxer turns into the avcC box (stream copy gives it no other extradata).
        {"movflags": "frag_keyframe+empty_moov+delay_moov+default_base_moof"},
        "video/mp4",
    ),
}


def recording_path(data_dir: Path, show_id: int, codec_name: str = "VP8") -> Path:
    return recordings_dir(data_dir) / f"show-{show_id}{CONTAINERS[codec_name][0]}"


def find_recording(data_dir: Path, show_id: int) -> tuple[Path, str] | None:
    """The show's recording and its MIME type, whichever codec it was recorded in."""
    for codec_name, (_, _, _, mime) in CONTAINERS.items():
        path = recording_path(data_dir, show_id, codec_name)
        if path.is_file():
            return path, mime
    return None


def vp8_size(keyframe: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 key frame header (RFC 6386 9.1)."""
    if len(keyframe) < 10 or keyframe[3:6] != b"\x9d\x01\x2a":
        return None
    width, height = struct.unpack_from("<HH", keyframe, 6)
    return width & 0x3FFF, height & 0x3FFF


def h264_size(access_unit: bytes) -> tuple[int, int] | None:
    """The picture size of an Annex B keyframe (None if it carries no SPS and PPS).
    It is read by decoding this one keyframe: once per recording, never per frame."""
    units = [u for u in aiortc_hooks.split_h264(access_unit) if u and u[0] & 0x1F in (7, 8)]
    if len(units) < 2:
        return None
    decoder = av.CodecContext.create("h264", "r")
    try:
        frames = decoder.decode(av.Packet(access_unit))
    except av.FFmpegError:
        return None
    return (frames[0].width, frames[0].height) if frames else None


class Recorder:
    """Writes one show's frames to a WebM file. A show that goes live again after a
    publisher drop keeps writing to the same file: timestamps continue."""

    def __init__(self, data_dir: Path, show_id: int, *, path: Path | None = None) -> None:
        self._data_dir = data_dir
        self._show_id = show_id
        # A fixed file instead of the show's own (the demo's clips); its suffix must
        # suit the codec it will hold.
        self._fixed_path = path
        self.path = path or recording_path(data_dir, show_id)
        self._container: Any = None
        self._video: Any = None
        self._audio: Any = None
        self._video_origin = 0
        self._audio_origin: int | None = None
        self.unsupported = ""
        self.frames_written = 0
        self._codec_name = ""
        self._with_audio = True

    @classmethod
    def at(cls, path: Path) -> Recorder:
        """A recorder writing to `path` rather than to a show's recording."""
        return cls(path.parent, 0, path=path)

    def on_video(self, codec_name: str, frame: SharedFrame, data: bytes) -> None:
        if self._container is None:
            if codec_name not in CONTAINERS:
                self.unsupported = codec_name
                return
            if not frame.keyframe or not self._open(codec_name, data):
                return
            self._video_origin = frame.timestamp
        elif codec_name != self._codec_name:
            # A publisher that came back with another codec cannot go into this file.
            self.unsupported = codec_name
            return
        self._mux(
            self._video, data, frame.timestamp - self._video_origin, VIDEO_TIME_BASE, frame.keyframe
        )

    def on_audio(self, codec_name: str, frame: SharedFrame, data: bytes) -> None:
        if self._container is None or self._audio is None or codec_name != "opus":
            return
        if self._audio_origin is None:
            self._audio_origin = frame.timestamp
        self._mux(self._audio, data, frame.timestamp - self._audio_origin, AUDIO_TIME_BASE, True)

    def _open(self, codec_name: str, keyframe: bytes) -> bool:
        """Open the file at the first keyframe; False while the picture size is unknown."""
        if codec_name == "H264":
            size = h264_size(keyframe)
            if size is None:
                return False
            width, height = size
        else:
            size = vp8_size(keyframe)
            if size is None:
                return False
            width, height = size
        suffix, muxer, options, _ = CONTAINERS[codec_name]
        first_choice = self._fixed_path or recording_path(self._data_dir, self._show_id, codec_name)
        first_choice.parent.mkdir(parents=True, exist_ok=True)
        # Never overwrite an earlier recording of the same show (a show that was live,
        # ended and is recorded again does not exist, but a server restart might).
        path = first_choice
        n = 1
        while path.exists():
            n += 1
            path = first_choice.with_name(f"{first_choice.stem}-{n}{suffix}")
        self.path = path
        self._codec_name = codec_name
        self._container = av.open(str(path), "w", format=muxer, options=options)
        self._video = self._container.add_mux_stream(codec_name.lower(), width=width, height=height)
        if self._with_audio and muxer == "mp4":
            # MP4 needs Opus's header (OpusHead) as the stream's extradata, which a
            # stream copy does not have: an encoder context makes one when the file is
            # opened. Nothing is ever encoded with it; packets are muxed as received.
            self._audio = self._container.add_stream("libopus", rate=48_000, layout="stereo")
        elif self._with_audio:
            self._audio = self._container.add_mux_stream("opus", rate=48_000)
        return True

    def expect_audio(self, with_audio: bool) -> None:
        """Whether the publisher sends audio, known when it connects. A file must not
        promise an audio track that never gets a packet (MP4 fragments wait for it)."""
        if self._container is None:
            self._with_audio = with_audio

    def _mux(
        self, stream: Any, data: bytes, pts: int, time_base: fractions.Fraction, keyframe: bool
    ) -> None:
        packet = av.Packet(data)
        packet.pts = packet.dts = max(pts, 0)
        packet.time_base = time_base
        packet.stream = stream
        packet.is_keyframe = keyframe
        try:
            self._container.mux(packet)
            self.frames_written += 1
        except av.FFmpegError as exc:
            print("DEBUG mux failed", exc, flush=True)  # a bad frame must not stop the show
            log.warning("recording %s: dropped a frame: %s", self.path.name, exc)

    def close(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except av.FFmpegError as exc:
                log.warning("recording %s: could not finish: %s", self.path.name, exc)
            self._container = None
