"""Recording a show to disk from the encoded frames as received, without re-encoding.

VP8 video and Opus audio are muxed (stream copy) into WebM, which browsers play back
directly: `DATA_DIR/recordings/show-<id>.webm`. Recording starts at the first video
keyframe, where the picture size is known; audio before it is skipped.
"""

from __future__ import annotations

import fractions
import logging
import struct
from pathlib import Path
from typing import Any

import av

from streaming.fanout import SharedFrame

log = logging.getLogger("jangteo.streaming.recording")

VIDEO_TIME_BASE = fractions.Fraction(1, 90_000)
AUDIO_TIME_BASE = fractions.Fraction(1, 48_000)


def recordings_dir(data_dir: Path) -> Path:
    return data_dir / "recordings"


def recording_path(data_dir: Path, show_id: int) -> Path:
    return recordings_dir(data_dir) / f"show-{show_id}.webm"


def vp8_size(keyframe: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 key frame header (RFC 6386 9.1)."""
    if len(keyframe) < 10 or keyframe[3:6] != b"\x9d\x01\x2a":
        return None
    width, height = struct.unpack_from("<HH", keyframe, 6)
    return width & 0x3FFF, height & 0x3FFF


class Recorder:
    """Writes one show's frames to a WebM file. A show that goes live again after a
    publisher drop keeps writing to the same file: timestamps continue."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._container: Any = None
        self._video: Any = None
        self._audio: Any = None
        self._video_origin = 0
        self._audio_origin: int | None = None
        self.unsupported = ""
        self.frames_written = 0

    def on_video(self, codec_name: str, frame: SharedFrame, data: bytes) -> None:
        if codec_name != "VP8":
            # WebM holds VP8; an H.264 publisher is forwarded but not recorded.
            self.unsupported = codec_name
            return
        if self._container is None:
            size = vp8_size(data) if frame.keyframe else None
            if size is None:
                return
            self._open(*size)
            self._video_origin = frame.timestamp
        self._mux(
            self._video, data, frame.timestamp - self._video_origin, VIDEO_TIME_BASE, frame.keyframe
        )

    def on_audio(self, codec_name: str, frame: SharedFrame, data: bytes) -> None:
        if self._container is None or codec_name != "opus":
            return
        if self._audio_origin is None:
            self._audio_origin = frame.timestamp
        self._mux(self._audio, data, frame.timestamp - self._audio_origin, AUDIO_TIME_BASE, True)

    def _open(self, width: int, height: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Never overwrite an earlier recording of the same show (a show that was live,
        # ended and is recorded again does not exist, but a server restart might).
        path = self.path
        n = 1
        while path.exists():
            n += 1
            path = self.path.with_name(f"{self.path.stem}-{n}{self.path.suffix}")
        self.path = path
        self._container = av.open(str(path), "w", format="webm")
        self._video = self._container.add_mux_stream("vp8", width=width, height=height)
        self._audio = self._container.add_mux_stream("opus", rate=48_000)

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
        except av.FFmpegError as exc:  # a bad frame must not stop the show
            log.warning("recording %s: dropped a frame: %s", self.path.name, exc)

    def close(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except av.FFmpegError as exc:
                log.warning("recording %s: could not finish: %s", self.path.name, exc)
            self._container = None
