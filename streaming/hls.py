"""HLS for audiences past WebRTC: each live show written once as HTTP Live Streaming.

Viewers that cannot use WebRTC (blocked UDP, a browser without it) or arrive when a
show's WebRTC viewer cap is reached play plain files any web server or CDN can serve:
`DATA_DIR/hls/show-<id>/index.m3u8`, an fMP4 init segment and one-second CMAF segments.
The publisher's frames are decoded and encoded once per show, never per viewer: H.264
(every HLS player takes it) with a keyframe every second so segments can be cut that
short, and AAC audio (from the Opus the publisher sends). An H.264 publisher is
re-encoded too rather than remuxed: its keyframes come every 2 to 10 s (OBS's
defaults), which would make every segment that long and the delay several times more.

The work runs in one thread per show, fed from the fan-out through a queue, so the
event loop only enqueues; FFmpeg's HLS muxer writes each segment to a temporary name
and renames it, so a reader never sees half a segment.
"""

from __future__ import annotations

import fractions
import logging
import queue
import shutil
import threading
from pathlib import Path
from typing import Any

import av

from streaming.fanout import SharedFrame

log = logging.getLogger("jangteo.streaming.hls")

SEGMENT_SECONDS = 1
PLAYLIST = "index.m3u8"
# What the publisher's codecs are decoded with.
DECODERS = {"VP8": "vp8", "H264": "h264"}
VIDEO_TIME_BASE = fractions.Fraction(1, 90_000)
AUDIO_RATE = 48_000
# Frames waiting for the thread; past this the thread is behind and frames are dropped
# until the next keyframe rather than the delay growing.
MAX_QUEUED = 90
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
}


def hls_dir(data_dir: Path, show_id: int) -> Path:
    return data_dir / "hls" / f"show-{show_id}"


class HlsWriter:
    """One show's HLS rendition, written while the show is live."""

    def __init__(self, directory: Path, *, video_bitrate: int = 1_500_000) -> None:
        self.directory = directory
        self._bitrate = video_bitrate
        self._frames: queue.SimpleQueue[tuple[str, str, int, bytes, bool] | None] = (
            queue.SimpleQueue()
        )
        self._queued = 0
        self._waiting_for_keyframe = True
        self._with_audio = True
        self._thread: threading.Thread | None = None
        self.segments_started = threading.Event()

    @property
    def ready(self) -> bool:
        """Whether players can start: the playlist lists a first segment."""
        return (self.directory / PLAYLIST).is_file()

    # --- the event loop's side: enqueue only ----------------------------------------------

    def expect_audio(self, with_audio: bool) -> None:
        if self._thread is None:
            self._with_audio = with_audio

    def on_video(self, codec_name: str, frame: SharedFrame, data: bytes) -> None:
        if codec_name not in DECODERS:
            return
        if self._queued > MAX_QUEUED:
            self._waiting_for_keyframe = True
        if self._waiting_for_keyframe:
            if not frame.keyframe:
                return
            self._waiting_for_keyframe = False
        self._put(("video", codec_name, frame.timestamp, data, frame.keyframe))

    def on_audio(self, codec_name: str, frame: SharedFrame, data: bytes) -> None:
        if codec_name == "opus" and self._thread is not None and self._queued <= MAX_QUEUED:
            self._put(("audio", codec_name, frame.timestamp, data, True))

    def _put(self, item: tuple[str, str, int, bytes, bool]) -> None:
        if self._thread is None:
            shutil.rmtree(self.directory, ignore_errors=True)  # a previous run's files
            self.directory.mkdir(parents=True, exist_ok=True)
            self._thread = threading.Thread(
                target=self._run, name=f"hls-{self.directory.name}", daemon=True
            )
            self._thread.start()
        self._queued += 1
        self._frames.put(item)

    def close(self) -> None:
        """Finish the playlist (it then says the show ended) and stop the thread."""
        if self._thread is not None:
            self._frames.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    # --- the thread's side -----------------------------------------------------------

    def _run(self) -> None:
        encoder = _Encoder(self.directory, self._bitrate, self._with_audio, self.segments_started)
        try:
            while (item := self._frames.get()) is not None:
                self._queued -= 1
                kind, codec_name, timestamp, data, _ = item
                try:
                    if kind == "video":
                        encoder.video(codec_name, timestamp, data)
                    else:
                        encoder.audio(timestamp, data)
                except av.FFmpegError as exc:  # one bad frame must not end the rendition
                    log.warning("hls %s: skipped a frame: %s", self.directory.name, exc)
        except Exception:
            log.exception("hls %s: the rendition stopped", self.directory.name)
        finally:
            encoder.close()


class _Encoder:
    """Decoders, encoders and the HLS muxer of one show (used by its thread only)."""

    def __init__(
        self, directory: Path, bitrate: int, with_audio: bool, started: threading.Event
    ) -> None:
        self._directory = directory
        self._bitrate = bitrate
        self._with_audio = with_audio
        self._started = started
        self._decoder: Any = None
        self._decoder_codec = ""
        self._container: Any = None
        self._video: Any = None
        self._audio: Any = None
        self._opus: Any = None
        self._resampler: Any = None
        self._video_origin: int | None = None
        self._audio_origin: int | None = None
        self._samples = 0

    def video(self, codec_name: str, timestamp: int, data: bytes) -> None:
        if self._decoder is None or self._decoder_codec != codec_name:
            self._decoder = av.CodecContext.create(DECODERS[codec_name], "r")
            self._decoder_codec = codec_name
        for picture in self._decoder.decode(av.Packet(data)):
            if self._container is None:
                self._open(picture.width, picture.height)
            if self._video_origin is None:
                self._video_origin = timestamp
            picture.pts = timestamp - self._video_origin
            picture.time_base = VIDEO_TIME_BASE
            if picture.width != self._video.width or picture.height != self._video.height:
                picture = picture.reformat(self._video.width, self._video.height, "yuv420p")
            for packet in self._video.encode(picture):
                self._container.mux(packet)
                self._started.set()

    def audio(self, timestamp: int, data: bytes) -> None:
        if self._container is None or self._audio is None:
            return  # the file opens at the first picture
        if self._audio_origin is None:
            self._audio_origin = timestamp
        for sound in self._opus.decode(av.Packet(data)):
            for chunk in self._resampler.resample(sound):
                chunk.pts = self._samples
                chunk.time_base = fractions.Fraction(1, AUDIO_RATE)
                self._samples += chunk.samples
                for packet in self._audio.encode(chunk):
                    self._container.mux(packet)

    def _open(self, width: int, height: int) -> None:
        playlist = self._directory / PLAYLIST
        self._container = av.open(
            str(playlist),
            "w",
            format="hls",
            options={
                "hls_time": str(SEGMENT_SECONDS),
                "hls_list_size": "6",
                "hls_segment_type": "fmp4",
                "hls_fmp4_init_filename": "init.mp4",
                "hls_segment_filename": str(self._directory / "seg-%05d.m4s"),
                "hls_flags": "delete_segments+independent_segments+program_date_time+temp_file",
            },
        )
        video = self._container.add_stream("libx264", rate=30)
        # Even sizes (4:2:0), at most 720 lines: phones and fallback viewers.
        scale = min(1.0, 720 / max(height, 1))
        video.width = max(2, int(width * scale) // 2 * 2)
        video.height = max(2, int(height * scale) // 2 * 2)
        video.pix_fmt = "yuv420p"
        video.bit_rate = self._bitrate
        video.codec_context.time_base = VIDEO_TIME_BASE
        video.codec_context.gop_size = 30 * SEGMENT_SECONDS
        video.codec_context.options = {
            "preset": "veryfast",
            "tune": "zerolatency",
            # A keyframe at least every segment, whatever the frame rate.
            "x264-params": f"keyint={30 * SEGMENT_SECONDS}:min-keyint={30 * SEGMENT_SECONDS}"
            ":scenecut=0",
        }
        self._video = video
        if self._with_audio:
            self._audio = self._container.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
            self._audio.bit_rate = 96_000
            self._opus = av.CodecContext.create("opus", "r")
            self._resampler = av.AudioResampler(
                format="fltp", layout="stereo", rate=AUDIO_RATE, frame_size=1024
            )

    def close(self) -> None:
        if self._container is None:
            return
        try:
            for packet in self._video.encode(None):
                self._container.mux(packet)
            self._container.close()
        except av.FFmpegError as exc:
            log.warning("hls %s: could not finish: %s", self._directory.name, exc)
