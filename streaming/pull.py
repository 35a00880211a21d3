"""An edge's pull of one show from its origin: an internal WHEP subscription.

The edge offers to receive video and audio, shows the origin a node token (only nodes
holding SECRET_KEY can make one), and puts the frames it receives into its own
`Broadcast`'s fan-out without decoding them: each packet is taken as aiortc receives it
(`aiortc_hooks.tap_receiver_packets`) and a frame goes on as soon as its last packet is
in (streaming/assembler.py). Keyframe requests of the edge's viewers travel back as a
PLI on this connection; the origin passes them to the publisher, coalesced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from streaming import aiortc_hooks
from streaming.assembler import FrameAssembler
from streaming.broadcast import Broadcast, rtc_configuration

log = logging.getLogger("jangteo.streaming")

SDP_TYPE = "application/sdp"
PULL_TIMEOUT_SECONDS = 10.0
# The RTP clock that starts at the first frame the edge sees, as aiortc's receivers do.
_MASK = 0xFFFFFFFF


def starts_frame(codec_name: str, payload: bytes) -> bool:
    """Whether an RTP payload is known to begin a frame: a VP8 payload descriptor with
    the start bit on partition 0 (RFC 7741 4.2), or any audio packet. Else the first
    frame boundary (marker) is waited for."""
    if codec_name == "VP8":
        return bool(payload) and payload[0] & 0x10 != 0 and payload[0] & 0x07 == 0
    return codec_name == "opus"


class PullRefused(Exception):
    """The origin did not answer the pull; the message says what it said."""


class OriginPull:
    def __init__(
        self,
        broadcast: Broadcast,
        origin: str,
        token: str,
        ice_servers: tuple[dict[str, Any], ...],
        on_closed: Callable[[OriginPull], None],
    ) -> None:
        self.broadcast = broadcast
        self.origin = origin
        self._token = token
        self._on_closed = on_closed
        self.pc = RTCPeerConnection(rtc_configuration(ice_servers))
        aiortc_hooks.accept_rsa_peers(self.pc)
        for kind in ("video", "audio"):
            self.pc.addTransceiver(kind, direction="recvonly")
        self.pc.on("track", self._on_track)
        self._video_receiver: RTCRtpReceiver | None = None
        self._location = ""
        self._http: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closed = False

    @property
    def url(self) -> str:
        return f"{self.origin}/shows/{self.broadcast.show_id}/whep"

    async def start(self, http: aiohttp.ClientSession) -> None:
        """Subscribe at the origin; when this returns the codecs are known, so viewers
        joining now are offered the one the publisher sends."""
        self._http = http
        try:
            await self.pc.setLocalDescription(await self.pc.createOffer())
            headers = {"Content-Type": SDP_TYPE, "Authorization": f"Bearer {self._token}"}
            timeout = aiohttp.ClientTimeout(total=PULL_TIMEOUT_SECONDS)
            async with http.post(
                self.url, data=self.pc.localDescription.sdp, headers=headers, timeout=timeout
            ) as resp:
                text = await resp.text()
                if resp.status != 201:
                    raise PullRefused(f"{self.url} answered {resp.status}: {text[:200]}")
                self._location = resp.headers.get("Location", "")
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=text, type="answer"))
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            await self.pc.close()
            raise PullRefused(f"{self.url}: {exc or type(exc).__name__}") from exc
        except BaseException:
            await self.pc.close()
            raise
        for transceiver in self.pc.getTransceivers():
            fanout = self.broadcast.video if transceiver.kind == "video" else self.broadcast.audio
            fanout.codec_name = aiortc_hooks.negotiated_codec(transceiver) or fanout.codec_name
        self.pc.on("connectionstatechange", self._on_state)

    def _on_track(self, track: MediaStreamTrack) -> None:
        receiver = next(t.receiver for t in self.pc.getTransceivers() if t.receiver.track is track)
        fanout = self.broadcast.video if track.kind == "video" else self.broadcast.audio
        if track.kind == "video":
            self._video_receiver = receiver
        first: list[int] = []
        codec_name = [fanout.codec_name or ""]

        def on_frame(data: bytes, timestamp: int) -> None:
            if not first:
                first.append(timestamp)
            if self.broadcast.upstream is self:
                fanout.publish(self, codec_name[0], data, (timestamp - first[0]) & _MASK)

        assembler = FrameAssembler(on_frame, self._on_loss)

        def on_packet(
            codec: str, seq: int, timestamp: int, marker: bool, payload: bytes, data: bytes
        ) -> None:
            codec_name[0] = codec
            assembler.add(seq, timestamp, marker, data, starts_frame(codec, payload))

        # Frames are never decoded here: the jitter buffer's are dropped, ours go on.
        aiortc_hooks.tap_receiver(receiver, lambda codec, frame: None)
        aiortc_hooks.tap_receiver_packets(receiver, on_packet)

    def _on_loss(self) -> None:
        self.request_keyframe()

    def request_keyframe(self) -> bool:
        if self._video_receiver is None or self.closed:
            return False
        request = aiortc_hooks.keyframe_request(self._video_receiver)
        if request is None:
            return False
        self._spawn(request)
        return True

    def _on_state(self) -> None:
        if self.pc.connectionState in ("failed", "closed") and not self.closed:
            log.warning(
                "the pull of a show from its origin ended",
                extra={"show_id": self.broadcast.show_id, "origin": self.origin},
            )
            self._spawn(self.close())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """End the subscription at the origin (so it stops sending at once) and here."""
        if self.closed:
            return
        self.closed = True
        if self._http is not None and self._location and not self._http.closed:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with self._http.delete(
                    f"{self.origin}{self._location}",
                    timeout=aiohttp.ClientTimeout(total=2),
                ):
                    pass
        await self.pc.close()
        self._on_closed(self)
