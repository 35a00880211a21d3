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
from typing import Any, Protocol

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
    # How long an edge keeps pulling a show from its origin after its last viewer left
    # (a viewer reloading the page should not cost a new pull).
    relay_linger_seconds: float = 5.0


class Upstream(Protocol):
    """Where an edge's copy of a show comes from: a pull from the origin node."""

    origin: str

    def request_keyframe(self) -> bool:
        """Send a keyframe request to the origin; False when it cannot be sent yet."""

    async def close(self) -> None: ...


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
    role: str  # "publisher", "viewer" or "relay" (an edge node pulling the show)
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
        # Edges pulling this show from here: served like viewers, counted apart.
        self.relays: dict[str, Session] = {}
        # Set on an edge: the show's frames come from its origin node.
        self.upstream: Upstream | None = None
        self._linger: asyncio.TimerHandle | None = None
        self.recorder: Recorder | None = None
        self._record = record  # False for a demo show: its looping clip would fill the disk
        self.hls: HlsWriter | None = None
        self._start_writers()
        self._lock = asyncio.Lock()
        self._grace: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closed = False
        # The show is live in the database (set by the edge after it says so); lets the
        # status that every player polls be answered without a query.
        self.live = False
        self._joining = 0

    def _start_writers(self) -> None:
        """The recording and the HLS copy are written where the publisher is."""
        if self.config.record and self._record and self.recorder is None:
            self.recorder = Recorder(self.config.data_dir, self.show_id)
            self.video.listeners.append(self.recorder.on_video)
            self.audio.listeners.append(self.recorder.on_audio)
        if self.config.hls and self.hls is None:
            self.hls = HlsWriter(hls_dir(self.config.data_dir, self.show_id))
            self.video.listeners.append(self.hls.on_video)
            self.audio.listeners.append(self.hls.on_audio)

    async def _stop_writers(self) -> None:
        recorder, hls = self.recorder, self.hls
        self.recorder = self.hls = None
        self.video.listeners.clear()
        self.audio.listeners.clear()
        if recorder is not None:
            recorder.close()
        if hls is not None:
            await asyncio.to_thread(hls.close)

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
            # The publisher moved here: this node is the origin now, no longer an edge.
            self._start_writers()
            if self.upstream is not None:
                self._spawn(self._drop_upstream())
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
        if session is None and self.upstream is not None:
            # On an edge the request travels to the origin (a PLI on the pull).
            return self.upstream.request_keyframe()
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
        if self.publisher is None and self.upstream is None and not self.closed:
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
        self._cancel_linger()
        try:
            return await self._add_viewer(offer_sdp, kinds, "viewer")
        finally:
            self._joining -= 1

    async def relay(self, offer_sdp: str) -> tuple[str, str]:
        """Take an edge node's offer (its pull of this show): served like a viewer but
        neither limited nor counted among the viewers; returns (session id, answer)."""
        kinds = check_offer(offer_sdp, want_send=False)
        if "video" not in kinds:
            raise BadOffer(reason=N_("it has no video section"))
        return await self._add_viewer(offer_sdp, kinds, "relay")

    async def _add_viewer(self, offer_sdp: str, kinds: list[str], role: str) -> tuple[str, str]:
        pc = RTCPeerConnection(rtc_configuration(self.config.ice_servers))
        aiortc_hooks.accept_rsa_peers(pc)
        session = Session(secrets.token_urlsafe(16), pc, role)
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
        if role == "relay":
            self.relays[session.id] = session
        else:
            self.viewers[session.id] = session
            await self._viewers_changed()
        return session.id, answer

    def _drop_feeds(self, session: Session) -> None:
        for fanout, feed in session.feeds:
            fanout.unsubscribe(feed)
        session.feeds.clear()

    async def _viewer_left(self, session: Session) -> None:
        if session.role == "relay":
            if self.relays.pop(session.id, None) is None:
                return
            self._drop_feeds(session)
            await session.pc.close()
            return
        if self.viewers.pop(session.id, None) is None:
            return
        self._drop_feeds(session)
        await session.pc.close()
        await self._viewers_changed()
        if not self.viewers and self.upstream is not None and not self._joining:
            self._start_linger()

    # --- edge: the show pulled from its origin -----------------------------------------

    def pull_from(self, upstream: Upstream) -> None:
        """Frames now come from `upstream` (this node is an edge for the show): nothing
        is recorded here, the origin records."""
        self.upstream = upstream
        self._cancel_grace()
        self._spawn(self._stop_writers())
        if not self.viewers and not self._joining:
            self._start_linger()

    def upstream_lost(self, upstream: Upstream) -> None:
        """The pull ended (origin gone or moved): viewers wait for the next source, and
        the show gets the usual grace period should none come."""
        if self.upstream is not upstream:
            return
        self.upstream = None
        self._cancel_linger()
        if self.publisher is None and not self.closed:
            self.start_grace()

    def _start_linger(self) -> None:
        self._cancel_linger()
        loop = asyncio.get_running_loop()
        self._linger = loop.call_later(
            self.config.relay_linger_seconds, lambda: self._spawn(self._drop_upstream())
        )

    def _cancel_linger(self) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None

    async def _drop_upstream(self) -> None:
        self._linger = None
        upstream, self.upstream = self.upstream, None
        if upstream is not None:
            await upstream.close()

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
        elif session_id in self.relays and role in (None, "viewer"):
            await self._viewer_left(self.relays[session_id])
        else:
            raise SessionNotFound()

    async def add_candidates(self, session_id: str, role: str, text: str) -> None:
        """Trickle ICE: the candidates a publisher or viewer found after its offer."""
        session = (
            self.publisher
            if role == "publisher"
            else self.viewers.get(session_id) or self.relays.get(session_id)
        )
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
        self._cancel_linger()
        self.keyframes.close()
        sessions = [*self.viewers.values(), *self.relays.values()]
        if self.publisher is not None:
            sessions.append(self.publisher)
        self.publisher = None
        self.viewers.clear()
        self.relays.clear()
        upstream, self.upstream = self.upstream, None
        pull_closing = upstream.close() if upstream is not None else asyncio.sleep(0)
        for session in sessions:
            self._drop_feeds(session)
        self.video.close()
        self.audio.close()
        await asyncio.gather(
            pull_closing, *(s.pc.close() for s in sessions), return_exceptions=True
        )
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
            # On an edge the publisher is on the origin, and the players here see it.
            "publishing": self.publishing or self.upstream is not None,
            "hls": self.hls is not None and self.hls.ready,
            "viewers": len(self.viewers),
            # Edge nodes pulling the show from here (one each, whatever their audience).
            "edges": len(self.relays),
            "video_codec": self.video.codec_name,
        }


def _ignore_track(pc: RTCPeerConnection, track: MediaStreamTrack) -> None:
    for transceiver in pc.getTransceivers():
        if transceiver.receiver.track is track:
            aiortc_hooks.tap_receiver(transceiver.receiver, lambda codec, frame: None)
