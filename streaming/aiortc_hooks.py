"""The only place that reaches inside aiortc.

aiortc has no public hook for the two things a forwarding unit needs, so they are made
here, on single instances, and nowhere else:

* `tap_receiver`: the publisher's `RTCRtpReceiver` reassembles each encoded frame in its
  jitter buffer and hands `(codec, JitterFrame)` to a decoder thread through a queue.
  We swap that queue for one that passes the *encoded* frame to us instead, so the
  server never decodes. The end-of-stream marker (None) still reaches the idle decoder
  thread, which then ends the remote track as usual.
* `feed_sender`: a viewer's `RTCRtpSender` asks `_next_encoded_frame()` for the next
  frame and would construct an encoder to encode (or `pack`) it. We answer that call
  with payloads already packetized once for every viewer, so no encoder is ever built;
  the sender still does what is per viewer: RTP header, sequence number, SRTP, send,
  NACK history. Its keyframe requests (PLI/FIR) are routed to a callback.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Coroutine
from typing import Any

from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import RTCEncodedFrame

FrameSink = Callable[[RTCRtpCodecParameters, JitterFrame], None]
FrameSource = Callable[[RTCRtpCodecParameters], Coroutine[Any, Any, RTCEncodedFrame | None]]

# aiortc's private attribute names, checked at tap time so an aiortc upgrade that
# renames them fails loudly instead of silently decoding again.
_RECEIVER_QUEUE = "_RTCRtpReceiver__decoder_queue"
_RECEIVER_STARTED = "_RTCRtpReceiver__started"


class _EncodedFrameQueue(queue.Queue[Any]):
    """Stands in for the receiver's decoder queue: frames go to `sink`, the stop marker
    goes through so the (idle) decoder thread exits and ends the track."""

    def __init__(self, sink: FrameSink) -> None:
        super().__init__()
        self._sink = sink

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            super().put(None)
            return
        codec, frame = item
        self._sink(codec, frame)


def tap_receiver(receiver: RTCRtpReceiver, sink: FrameSink) -> None:
    """Deliver every encoded frame `receiver` reassembles to `sink` (on the event loop,
    in order) instead of decoding it. Must be called before the receiver starts, i.e.
    from the peer connection's "track" event."""
    if not hasattr(receiver, _RECEIVER_QUEUE):
        raise RuntimeError("this aiortc version has no decoder queue to tap")
    if getattr(receiver, _RECEIVER_STARTED, False):
        raise RuntimeError("tap the receiver before it starts receiving")
    setattr(receiver, _RECEIVER_QUEUE, _EncodedFrameQueue(sink))


def keyframe_request(receiver: RTCRtpReceiver) -> Coroutine[Any, Any, None] | None:
    """A Picture Loss Indication to send to the publisher of `receiver`'s newest
    source, or None while nothing has been received yet."""
    sources = receiver.getSynchronizationSources()
    if not sources:
        return None
    newest = max(sources, key=lambda s: s.timestamp)
    send_pli: Callable[[int], Coroutine[Any, Any, None]] = receiver._send_rtcp_pli
    return send_pli(newest.source)


def feed_sender(sender: RTCRtpSender, source: FrameSource,
                on_keyframe_request: Callable[[], None]) -> None:
    """Make `sender` send the frames `source` returns, as they are, and report the
    remote's keyframe requests to `on_keyframe_request`."""
    if not hasattr(sender, "_next_encoded_frame") or not hasattr(sender, "_send_keyframe"):
        raise RuntimeError("this aiortc version has no sender hook to feed")

    sender._next_encoded_frame = source  # type: ignore[method-assign, assignment]
    sender._send_keyframe = on_keyframe_request  # type: ignore[method-assign]
