"""One show's live stream: its publisher, its viewers, the fan-out and the recording.

A `Broadcast` owns peer connections; the registry owns the broadcasts and is created by
the app factory (see `streaming.setup`). Show state in the database is not touched here:
the broadcast reports "publisher gone for good" through a callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.exceptions import OperationError
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from server.errors import N_
from server.events import LiveEvent
from streaming import aiortc_hooks
from streaming.errors import (
    AlreadyPublishing,
    BadCandidates,
    BadOffer,
    CodecNotSupported,
    IceRestartNotSupported,
    SessionNotFound,
    TooManyViewers,
)
from streaming.fanout import Fanout, KeyframeRequests, ViewerFeed
from streaming.hls import HlsWriter, hls_dir
from streaming.recording import Recorder
from streaming.sdp import check_offer
from streaming.trickle import BadFragment, ice_ufrag, parse_fragment

log = logging.getLogger("jangteo.streaming")

# The codecs a publisher may send; viewers get whatever the publisher sends.
PUBLISH_CODECS = {"video": ("video/VP8", "video/H264"), "audio": ("audio/opus",)}
# What a viewer is offered before any publisher has been seen.
DEFAULT_CODECS = {"video": "VP8", "audio": "opus"}


@dataclass(frozen=True)
class StreamConfig:
    ice_servers: tuple[dict[str, Any], ...] = ()
    max_viewers: int = 500
    grace_seconds: float = 120.0
    data_dir: Path = Path("var")
    record: bool = True
    hls: bool = False


def rtc_configuration(ice_servers: tuple[dict[str, Any], ...]) -> RTCConfiguration:
    # An explicit (possibly empty) list: aiortc would otherwise add Google's STUN server.
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
            for s in ice_servers
        ]
    )


class ForwardedTrack(MediaStreamTrack):
    """The track a viewer's sender carries. Its frames arrive pre-encoded through
    `aiortc_hooks.feed_sender`, so `recv` is never asked for a decoded frame."""

    def __init__(self, feed: ViewerFeed) -> None:
        super().__init__()
        self.kind = feed.kind
        self.feed = feed

    async def recv(self) -> Any:
        raise MediaStreamError("forwarded tracks are sent pre-encoded")


@dataclass(eq=False)
class Session:
    id: str
    pc: RTCPeerConnection
    role: str  # "publisher" or "viewer"
    feeds: list[tuple[Fanout, ViewerFeed]] = field(default_factory=list)
    video_receiver: RTCRtpReceiver | None = None
    kinds: set[str] = field(default_factory=set)


def _preferences(kind: str, mime_types: tuple[str, ...]) -> list[Any]:
    capabilities = RTCRtpSender.getCapabilities(kind).codecs
    wanted = [c for c in capabilities if c.mimeType in mime_types]
    if kind == "video":
        # Keep RTX so lost packets can be retransmitted.
        wanted += [c for c in capabilities if c.mimeType == "video/rtx"]
    return wanted


async def _negotiate(pc: RTCPeerConnection, offer_sdp: str, accepted: list[str]) -> str:
    """Apply the offer to a connection whose transceivers are already set up (so their
    codec preferences limit what is accepted) and return the answer. `accepted` names
    the codecs those preferences allow, for the error message."""
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
    except OperationError:
        kinds = "/".join(t.kind for t in pc.getTransceivers())
        raise CodecNotSupported(kind=kinds, codecs=", ".join(accepted)) from None
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise BadOffer(reason=str(exc) or type(exc).__name__) from None
    await pc.setLocalDescription(await pc.createAnswer())
    return str(pc.localDescription.sdp)


class Broadcast:
    def __init__(
        self,
        show_id: int,
        config: StreamConfig,
        on_publisher_gone: Callable[[int], Awaitable[None]],
        on_change: Callable[[int, LiveEvent, dict[str, Any]], Awaitable[None]],
        *,
        record: bool = True,
    ) -> None:
        self.show_id = show_id
        self.config = config
        self._on_publisher_gone = on_publisher_gone
        self._on_change = on_change
        self.keyframes = KeyframeRequests(self._send_keyframe_request)
        self.video = Fanout("video", self.keyframes.request)
        self.audio = Fanout("audio", self.keyframes.request)
        self.publisher: Session | None = None
        self.viewers: dict[str, Session] = {}
        self.recorder: Recorder | None = None
        if config.record and record:
            self.recorder = Recorder(config.data_dir, show_id)
            self.video.listeners.append(self.recorder.on_video)
            self.audio.listeners.append(self.recorder.on_audio)
        self.hls: HlsWriter | None = None
        if config.hls:
            self.hls = HlsWriter(hls_dir(config.data_dir, show_id))
            self.video.listeners.append(self.hls.on_video)
            self.audio.listeners.append(self.hls.on_audio)
        self._lock = asyncio.Lock()
        self._grace: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closed = False
        # The show is live in the database (set by the edge after it says so); lets the
        # status that every player polls be answered without a query.
        self.live = False
        self._joining = 0

    # --- publisher ---------------------------------------------------------------------

    @property
    def publishing(self) -> bool:
        return self.publisher is not None

    async def publish(self, offer_sdp: str) -> tuple[str, str]:
        """Take the publisher's offer; returns (session id, SDP answer)."""
        kinds = check_offer(offer_sdp, want_send=True)
        async with self._lock:
            if self.publisher is not None:
                raise AlreadyPublishing(show_id=self.show_id)
            pc = RTCPeerConnection(rtc_configuration(self.config.ice_servers))
            # Encoders built on GStreamer or hardware often hold RSA certificates.
            aiortc_hooks.accept_rsa_peers(pc)
            session = Session(secrets.token_urlsafe(16), pc, "publisher")
            for kind in dict.fromkeys(kinds):
                transceiver = pc.addTransceiver(kind, direction="recvonly")
                transceiver.setCodecPreferences(_preferences(kind, PUBLISH_CODECS[kind]))
            pc.on("track", lambda track: self._on_publisher_track(session, track))
            try:
                accepted = [
                    m.split("/")[1] for k in dict.fromkeys(kinds) for m in PUBLISH_CODECS[k]
                ]
                answer = await _negotiate(pc, offer_sdp, accepted)
                if not session.kinds:
                    raise BadOffer(reason=N_("it sends no audio or video"))
            except BaseException:
                await pc.close()
                raise
            # Known now, before the first frame: viewers joining meanwhile need it.
            for transceiver in pc.getTransceivers():
                fanout = self.video if transceiver.kind == "video" else self.audio
                fanout.codec_name = aiortc_hooks.negotiated_codec(transceiver) or fanout.codec_name
            for writer in (self.recorder, self.hls):
                if writer is not None:
                    writer.expect_audio("audio" in session.kinds)
            pc.on("connectionstatechange", lambda: self._on_state(session))
            self.publisher = session
            self._cancel_grace()
        await self._on_change(self.show_id, LiveEvent.STREAM_STATE, {"state": "live"})
        return session.id, answer

    def _on_publisher_track(self, session: Session, track: MediaStreamTrack) -> None:
        receiver = next(
            t.receiver for t in session.pc.getTransceivers() if t.receiver.track is track
        )
        fanout = self.video if track.kind == "video" else self.audio
        session.kinds.add(track.kind)
        if track.kind == "video":
            session.video_receiver = receiver

        def on_frame(codec: RTCRtpCodecParameters, frame: JitterFrame) -> None:
            if self.publisher is session:
                fanout.publish(session, codec.name, frame.data, frame.timestamp)

        aiortc_hooks.tap_receiver(receiver, on_frame)

    def _send_keyframe_request(self) -> bool:
        session = self.publisher
        if session is None or session.video_receiver is None:
            return False
        request = aiortc_hooks.keyframe_request(session.video_receiver)
        if request is None:
            return False
        self._spawn(request)
        return True

    async def _publisher_left(self, session: Session) -> None:
        if self.publisher is not session:
            return
        self.publisher = None
        if not self.closed:
            self.start_grace()
        await session.pc.close()
        if not self.closed:
            await self._on_change(self.show_id, LiveEvent.STREAM_STATE, {"state": "reconnecting"})

    def start_grace(self) -> None:
        """Give the publisher `grace_seconds` to come back before the show ends."""
        self._cancel_grace()
        loop = asyncio.get_running_loop()
        self._grace = loop.call_later(self.config.grace_seconds, self._grace_over)

    def _grace_over(self) -> None:
        self._grace = None
        if self.publisher is None and not self.closed:
            self._spawn(self._on_publisher_gone(self.show_id))

    def _cancel_grace(self) -> None:
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None

    # --- viewers -----------------------------------------------------------------------

    async def watch(self, offer_sdp: str) -> tuple[str, str]:
        """Take a viewer's offer; returns (session id, SDP answer)."""
        kinds = check_offer(offer_sdp, want_send=False)
        if "video" not in kinds:
            raise BadOffer(reason=N_("it has no video section"))
        # Offers still being answered count too, so a burst cannot overshoot the limit.
        if len(self.viewers) + self._joining >= self.config.max_viewers:
            raise TooManyViewers(limit=self.config.max_viewers)
        self._joining += 1
        try:
            return await self._add_viewer(offer_sdp, kinds)
        finally:
            self._joining -= 1

    async def _add_viewer(self, offer_sdp: str, kinds: list[str]) -> tuple[str, str]:
        pc = RTCPeerConnection(rtc_configuration(self.config.ice_servers))
        aiortc_hooks.accept_rsa_peers(pc)
        session = Session(secrets.token_urlsafe(16), pc, "viewer")
        # Whatever a viewer might send us is tapped too, so it is never decoded.
        pc.on("track", lambda track: _ignore_track(pc, track))
        accepted: list[str] = []
        for fanout in (self.video, self.audio):
            if fanout.kind not in kinds:
                continue
            feed = fanout.subscribe()
            session.feeds.append((fanout, feed))
            transceiver = pc.addTransceiver(ForwardedTrack(feed), direction="sendonly")
            codec = fanout.codec_name or DEFAULT_CODECS[fanout.kind]
            accepted.append(codec)
            transceiver.setCodecPreferences(_preferences(fanout.kind, (f"{fanout.kind}/{codec}",)))
            aiortc_hooks.feed_sender(
                transceiver.sender, feed.next_frame, self.keyframes.request, feed.attach
            )
        try:
            answer = await _negotiate(pc, offer_sdp, accepted)
        except BaseException:
            self._drop_feeds(session)
            await pc.close()
            raise
        pc.on("connectionstatechange", lambda: self._on_state(session))
        self.viewers[session.id] = session
        await self._viewers_changed()
        return session.id, answer

    def _drop_feeds(self, session: Session) -> None:
        for fanout, feed in session.feeds:
            fanout.unsubscribe(feed)
        session.feeds.clear()

    async def _viewer_left(self, session: Session) -> None:
        if self.viewers.pop(session.id, None) is None:
            return
        self._drop_feeds(session)
        await session.pc.close()
        await self._viewers_changed()

    async def _viewers_changed(self) -> None:
        await self._on_change(self.show_id, LiveEvent.STREAM_VIEWERS, {"count": len(self.viewers)})

    # --- sessions ----------------------------------------------------------------------

    def _on_state(self, session: Session) -> None:
        if session.pc.connectionState in ("failed", "closed"):
            self._spawn(self._end_quietly(session.id))

    async def _end_quietly(self, session_id: str) -> None:
        with contextlib.suppress(SessionNotFound):  # already ended by a DELETE
            await self.end_session(session_id)

    async def end_session(self, session_id: str, role: str | None = None) -> None:
        """End a publisher's or viewer's session (WHIP/WHEP DELETE, or a lost peer)."""
        if (
            self.publisher is not None
            and self.publisher.id == session_id
            and role in (None, "publisher")
        ):
            await self._publisher_left(self.publisher)
        elif session_id in self.viewers and role in (None, "viewer"):
            await self._viewer_left(self.viewers[session_id])
        else:
            raise SessionNotFound()

    async def add_candidates(self, session_id: str, role: str, text: str) -> None:
        """Trickle ICE: the candidates a publisher or viewer found after its offer."""
        session = self.publisher if role == "publisher" else self.viewers.get(session_id)
        if session is None or session.id != session_id or session.pc.remoteDescription is None:
            raise SessionNotFound()
        remote = session.pc.remoteDescription.sdp
        first_mid = next((t.mid for t in session.pc.getTransceivers() if t.mid), None)
        try:
            fragment = parse_fragment(text, first_mid)
        except BadFragment as exc:
            raise BadCandidates(line=exc.line) from exc
        if fragment.ufrag and fragment.ufrag != ice_ufrag(remote):
            raise IceRestartNotSupported()
        for candidate in fragment.candidates:
            await session.pc.addIceCandidate(candidate)
        if fragment.end_of_candidates:
            await session.pc.addIceCandidate(None)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """The show is over: close every peer connection and finish the recording."""
        if self.closed:
            return
        self.closed = True
        self._cancel_grace()
        self.keyframes.close()
        sessions = list(self.viewers.values())
        if self.publisher is not None:
            sessions.append(self.publisher)
        self.publisher = None
        self.viewers.clear()
        for session in sessions:
            self._drop_feeds(session)
        self.video.close()
        self.audio.close()
        await asyncio.gather(*(s.pc.close() for s in sessions), return_exceptions=True)
        if self.recorder is not None:
            self.recorder.close()
        if self.hls is not None:
            # The thread finishes the playlist (#EXT-X-ENDLIST) off the event loop.
            await asyncio.to_thread(self.hls.close)
        # Tasks still running (a session ending, a keyframe request) finish by
        # themselves; cancelling one waiting on a closing peer connection would break
        # aiortc's close.

    def status(self) -> dict[str, Any]:
        return {
            "publishing": self.publishing,
            "hls": self.hls is not None and self.hls.ready,
            "viewers": len(self.viewers),
            "video_codec": self.video.codec_name,
        }


def _ignore_track(pc: RTCPeerConnection, track: MediaStreamTrack) -> None:
    for transceiver in pc.getTransceivers():
        if transceiver.receiver.track is track:
            aiortc_hooks.tap_receiver(transceiver.receiver, lambda codec, frame: None)
