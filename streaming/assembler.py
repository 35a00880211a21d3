"""Whole encoded frames from the RTP packets of an origin's relay, the moment a frame's
last packet is in.

aiortc's jitter buffer hands a frame on only when the first packet of the *next* frame
arrives: a frame interval (33 ms at 30 fps, 80 ms of audio with its prefetch) late at
every hop. An edge that waited like that could not stay within 30 ms of the origin. The
origin's forwarder (streaming/aiortc_hooks.py `_Forwarder`) sets the RTP marker bit on
the last packet of every frame, so a frame is complete when the packets from the one
after the previous marker up to its own marker are all in. A gap is given a few frames'
time for the retransmission (NACK) to fill it; then the frames in the gap are given up
and a keyframe is asked for.
"""

from __future__ import annotations

from collections.abc import Callable

# Frames finished behind a gap before the gap is given up (about 150 ms of video).
SKIP_AFTER_FRAMES = 5
_HALF = 0x8000


def _after(seq: int) -> int:
    return (seq + 1) & 0xFFFF


def _distance(start: int, seq: int) -> int:
    """How far `seq` is after `start` in 16-bit sequence space."""
    return (seq - start) & 0xFFFF


class FrameAssembler:
    def __init__(self, on_frame: Callable[[bytes, int], None], on_loss: Callable[[], None]) -> None:
        self._on_frame = on_frame
        self._on_loss = on_loss
        # sequence number -> (RTP timestamp, marker, depacketized data)
        self._held: dict[int, tuple[int, bool, bytes]] = {}
        self._next: int | None = None  # the first packet of the next frame to hand on
        self.frames = 0
        self.skipped = 0

    def add(
        self, seq: int, timestamp: int, marker: bool, data: bytes, starts: bool = False
    ) -> None:
        """Take one packet; `starts` says it is known to begin a frame."""
        if self._next is None:
            if starts:
                self._next = seq
            else:
                # Joined mid-frame: start after the first frame boundary seen, and ask
                # for a keyframe (the frame cut short may have been the one to start on).
                if marker:
                    self._next = _after(seq)
                    self._on_loss()
                return
        if _distance(self._next, seq) >= _HALF:
            return  # before the next frame: a late duplicate
        self._held[seq] = (timestamp, marker, data)
        self._hand_on()
        if sum(1 for _, marker_, _ in self._held.values() if marker_) >= SKIP_AFTER_FRAMES:
            self._skip_gap()

    def _hand_on(self) -> None:
        while self._next is not None:
            seq, parts, timestamp = self._next, [], None
            while True:
                item = self._held.get(seq)
                if item is None:
                    return  # incomplete: wait for the missing packet
                ts, marker, data = item
                if timestamp is not None and ts != timestamp:
                    # A new frame began without a marker on the last one: that one ended.
                    seq = (seq - 1) & 0xFFFF
                    break
                timestamp = ts
                parts.append(data)
                if marker:
                    break
                seq = _after(seq)
            self._release(seq)
            self.frames += 1
            self._on_frame(b"".join(parts), timestamp)

    def _release(self, last: int) -> None:
        """Forget the held packets up to `last`; the next frame starts after it."""
        assert self._next is not None
        for offset in range(_distance(self._next, last) + 1):
            self._held.pop((self._next + offset) & 0xFFFF, None)
        self._next = _after(last)

    def _skip_gap(self) -> None:
        assert self._next is not None
        start = self._next
        first_marker = min(
            (s for s, (_, marker, _) in self._held.items() if marker),
            key=lambda s: _distance(start, s),
        )
        self._release(first_marker)
        self.skipped += 1
        self._on_loss()
        self._hand_on()
