"""Fan-out of encoded frames from one publisher to many viewers.

Each frame is packetized into RTP payloads once, for every viewer (`SharedFrame`);
a viewer's sender then only writes the RTP header, encrypts and sends. Each viewer has
a short queue (`ViewerFeed`): a new viewer starts at a keyframe, and a viewer that falls
behind has its queue dropped and waits for the next keyframe instead of growing it.
Viewers' keyframe requests are coalesced (`KeyframeRequests`) before they reach the
publisher.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from streaming import aiortc_hooks

# RTP clock ticks between two frames, used to keep timestamps moving forward when a
# publisher reconnects and its clock starts again from zero.
FRAME_TICKS = {"video": 90_000 // 30, "audio": 960}
# About 1 s of video at 30 fps, 1 s of 20 ms audio frames.
MAX_PENDING = {"video": 30, "audio": 50}
KEYFRAME_REQUEST_INTERVAL = 0.5


@dataclass(frozen=True, slots=True)
class SharedFrame:
    """One encoded frame, packetized once and shared by every viewer's sender."""

    payloads: tuple[bytes, ...]
    timestamp: int
    keyframe: bool
    codec_name: str = ""


def is_keyframe(codec_name: str, data: bytes) -> bool:
    """Whether an encoded frame can be decoded on its own."""
    if not data:
        return False
    if codec_name == "VP8":
        # RFC 6386 9.1: bit 0 of the frame tag is 0 for a key frame.
        return data[0] & 0x01 == 0
    if codec_name == "H264":
        return any(nal and nal[0] & 0x1F in (5, 7) for nal in aiortc_hooks.split_h264(data))
    return True  # audio: every frame stands alone


class Packetizer:
    """Splits encoded frames into RTP payloads, once per frame for all viewers."""

    def __init__(self) -> None:
        self._picture_ids = itertools.count(1)

    def packetize(self, codec_name: str, data: bytes) -> tuple[bytes, ...]:
        if codec_name == "VP8":
            picture_id = next(self._picture_ids) % (1 << 15)
            return tuple(aiortc_hooks.packetize_vp8(data, picture_id))
        if codec_name == "H264":
            return tuple(aiortc_hooks.packetize_h264(data))
        return (data,)


class ViewerFeed:
    """The frames waiting for one viewer's sender."""

    def __init__(self, kind: str, on_keyframe_needed: Callable[[], None]) -> None:
        self.kind = kind
        self._pending: collections.deque[SharedFrame] = collections.deque()
        self._max_pending = MAX_PENDING[kind]
        self._wake = asyncio.Event()
        self._closed = False
        # Video must start on a keyframe; audio frames all decode on their own.
        self.waiting_for_keyframe = kind == "video"
        self._on_keyframe_needed = on_keyframe_needed
        self.frames_dropped = 0
        # The sender's synchronous path, once its connection is up (aiortc_hooks).
        self._push: Callable[[SharedFrame], bool] | None = None

    def attach(self, push: Callable[[SharedFrame], bool] | None) -> None:
        self._push = push

    def offer(self, frame: SharedFrame) -> None:
        if self._closed:
            return
        if self.waiting_for_keyframe:
            if not frame.keyframe:
                self.frames_dropped += 1
                return
            self.waiting_for_keyframe = False
        if len(self._pending) >= self._max_pending:
            # Too slow: drop what is queued rather than let the delay grow. Video then
            # resumes at the next keyframe so the picture is never broken.
            self.frames_dropped += len(self._pending)
            self._pending.clear()
            if self.kind == "video" and not frame.keyframe:
                self.frames_dropped += 1
                self.waiting_for_keyframe = True
                self._on_keyframe_needed()
                return
        # Sent at once, in the fan-out's one pass over the viewers, when nothing is queued
        # before it; otherwise the sender's task catches up in order.
        if not self._pending and self._push is not None and self._push(frame):
            return
        self._pending.append(frame)
        self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def next_frame(self, codec: RTCRtpCodecParameters) -> SharedFrame:
        while True:
            while not self._pending:
                if self._closed:
                    raise MediaStreamError
                self._wake.clear()
                await self._wake.wait()
            frame = self._pending.popleft()
            # A publisher that came back with another codec cannot be shown to a viewer
            # who negotiated the old one; the player reconnects and negotiates again.
            if frame.codec_name in ("", codec.name):
                return frame

    def close(self) -> None:
        self._closed = True
        self._push = None
        self._pending.clear()
        self._wake.set()


class KeyframeRequests:
    """At most one keyframe request per interval reaches the publisher; a request made
    during the quiet time is sent when it ends, so none is lost."""

    def __init__(
        self, send: Callable[[], bool], interval: float = KEYFRAME_REQUEST_INTERVAL
    ) -> None:
        self._send = send
        self._interval = interval
        self._last_sent = float("-inf")
        self._deferred: asyncio.TimerHandle | None = None
        self.sent = 0
        self.requested = 0

    def request(self) -> None:
        self.requested += 1
        if self._deferred is not None:
            return
        wait = self._last_sent + self._interval - time.monotonic()
        if wait <= 0:
            self._fire()
        else:
            self._deferred = asyncio.get_running_loop().call_later(wait, self._fire)

    def _fire(self) -> None:
        self._deferred = None
        if self._send():
            self.sent += 1
            self._last_sent = time.monotonic()

    def close(self) -> None:
        if self._deferred is not None:
            self._deferred.cancel()
            self._deferred = None


class Fanout:
    """One media kind of one show: frames in from whichever publisher is connected,
    frames out to every viewer's feed."""

    def __init__(self, kind: str, request_keyframe: Callable[[], None]) -> None:
        self.kind = kind
        self._feeds: set[ViewerFeed] = set()
        self._packetizer = Packetizer()
        self._request_keyframe = request_keyframe
        self.codec_name: str | None = None
        # Timestamps continue across publisher sessions so viewers' decoders never see
        # time go backwards.
        self._source: object | None = None
        self._offset = 0
        self._last_out: int | None = None
        self.frames_in = 0
        self.listeners: list[Callable[[str, SharedFrame, bytes], None]] = []

    def subscribe(self) -> ViewerFeed:
        feed = ViewerFeed(self.kind, self._request_keyframe)
        self._feeds.add(feed)
        if feed.waiting_for_keyframe:
            self._request_keyframe()
        return feed

    def unsubscribe(self, feed: ViewerFeed) -> None:
        self._feeds.discard(feed)
        feed.close()

    @property
    def viewer_count(self) -> int:
        return len(self._feeds)

    def publish(self, source: object, codec_name: str, data: bytes, timestamp: int) -> None:
        if source is not self._source:
            self._source = source
            if self._last_out is not None:
                self._offset = self._last_out + FRAME_TICKS[self.kind] - timestamp
        self.codec_name = codec_name
        out_ts = timestamp + self._offset
        self._last_out = out_ts
        self.frames_in += 1
        frame = SharedFrame(
            self._packetizer.packetize(codec_name, data),
            out_ts,
            is_keyframe(codec_name, data),
            codec_name,
        )
        for feed in self._feeds:
            feed.offer(frame)
        for listener in self.listeners:
            listener(codec_name, frame, data)

    def close(self) -> None:
        for feed in self._feeds:
            feed.close()
        self._feeds.clear()
