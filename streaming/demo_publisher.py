"""The demo publisher: brings the live demo show live at start-up, the way an encoder
would. It is an aiortc peer that POSTs its offer to the server's own WHIP endpoint with
the show's stream key, then sends the looping clip made by `seed-demo` for as long as
the server runs, its encoded frames as they are (no encoding here or on the server).

It runs only with `DEMO_PUBLISHER` on (by default in development, i.e. `make run`) and
only when there is a demo show waiting for it; if the connection drops it connects
again, it never takes over from another publisher (it waits), and it stops when the
show was ended or the clip is missing.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.settings import Settings
from server.shows.models import Approval, Show, ShowState
from streaming.demo_clip import ClipPacket, read_clip
from streaming.demo_scene import LOOP_SECONDS

log = logging.getLogger("jangteo.streaming.demo")

CLOCKS = {"video": 90_000, "audio": 48_000}
RETRY_FIRST = 0.5  # the server is usually still starting when the first try is made
RETRY_MOST = 30.0
SDP = "application/sdp"


def local_url(settings: Settings) -> str:
    """This server as seen from its own process."""
    host = settings.host if settings.host not in ("", "0.0.0.0", "::") else "127.0.0.1"  # noqa: S104
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"


class ShowRefused(Exception):
    """The server will not take the demo stream (show ended, key changed): stop."""


class SomeoneElsePublishes(Exception):
    """The show has a publisher already (a creator's studio, another server process's
    demo publisher): never take over; look again later."""


class _Clock:
    """One start time for the clip's video and sound, so they stay together."""

    def __init__(self) -> None:
        self.start: float | None = None

    def due(self, seconds: float) -> float:
        """How long to wait until `seconds` after the start."""
        now = time.monotonic()
        if self.start is None:
            self.start = now
        return self.start + seconds - now


class LoopingClipTrack(MediaStreamTrack):
    """Sends one kind of the clip's encoded frames, at their pace, loop after loop;
    timestamps keep rising from one loop to the next."""

    def __init__(self, kind: str, packets: Sequence[ClipPacket], clock: _Clock) -> None:
        super().__init__()
        self.kind = kind
        self._packets = packets
        self._clock = clock
        self._sent = 0
        self._time_base = fractions.Fraction(1, CLOCKS[kind])

    async def recv(self) -> av.Packet[av.stream.Stream]:
        if self.readyState != "live" or not self._packets:
            raise MediaStreamError
        loop, index = divmod(self._sent, len(self._packets))
        at = loop * LOOP_SECONDS + self._packets[index].seconds
        wait = self._clock.due(at)
        if wait > 0:
            await asyncio.sleep(wait)
        self._sent += 1
        packet = av.Packet(self._packets[index].data)
        packet.pts = round(at * CLOCKS[self.kind])
        packet.time_base = self._time_base
        return packet


class DemoPublisher:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], clip: Path, server_url: str
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clip = clip
        self._server_url = server_url
        self._packets: dict[str, list[ClipPacket]] | None = None

    async def run(self) -> None:
        try:
            await self._run()
        except Exception:  # the server runs on without its demo; say why
            log.exception("the demo publisher failed")

    async def _run(self) -> None:
        retry = RETRY_FIRST
        while True:
            target = await self._demo_show()
            if target is None:
                log.info("no demo show is waiting to go live: the demo publisher stops")
                return
            if not self._clip.is_file():
                log.warning(
                    "the demo clip %s is missing (run seed-demo): not publishing", self._clip
                )
                return
            try:
                await self.publish_once(*target)
                retry = RETRY_FIRST
            except ShowRefused as exc:
                log.warning("the demo publisher stops: %s", exc)
                return
            except SomeoneElsePublishes:
                log.debug("show %s has another publisher; the demo waits", target[0])
                retry = RETRY_MOST
            except (aiohttp.ClientError, OSError) as exc:
                log.debug("demo publisher: server not reachable yet: %s", exc)
            await asyncio.sleep(retry)
            retry = min(retry * 2, RETRY_MOST)

    async def _demo_show(self) -> tuple[int, str] | None:
        async with self._sessionmaker() as session:
            row = (
                await session.execute(
                    select(Show.id, Show.stream_key)
                    .where(
                        Show.is_demo.is_(True),
                        Show.state.in_([ShowState.SCHEDULED, ShowState.LIVE]),
                        Show.approval == Approval.APPROVED,
                    )
                    .order_by(Show.scheduled_start)
                    .limit(1)
                )
            ).first()
        return (row[0], row[1]) if row else None

    async def publish_once(self, show_id: int, stream_key: str) -> None:
        """One WHIP session, until its connection fails or closes."""
        if self._packets is None:
            self._packets = await asyncio.to_thread(read_clip, self._clip)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # loopback: no STUN
        gone = asyncio.Event()

        @pc.on("connectionstatechange")
        def _changed() -> None:
            if pc.connectionState in ("failed", "closed"):
                gone.set()

        try:
            clock = _Clock()
            video = pc.addTransceiver(
                LoopingClipTrack("video", self._packets["video"], clock), direction="sendonly"
            )
            video.setCodecPreferences(
                [
                    c
                    for c in RTCRtpSender.getCapabilities("video").codecs
                    if c.mimeType == "video/VP8"
                ]
            )
            pc.addTransceiver(
                LoopingClipTrack("audio", self._packets["audio"], clock), direction="sendonly"
            )
            await pc.setLocalDescription(await pc.createOffer())
            answer = await self._offer(show_id, stream_key, pc.localDescription.sdp)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            log.info("the demo clip is live on show %s", show_id)
            await gone.wait()
            log.info("the demo publisher's connection to show %s closed", show_id)
        finally:
            await pc.close()

    async def _offer(self, show_id: int, stream_key: str, offer: str) -> str:
        headers = {"Content-Type": SDP, "Authorization": f"Bearer {stream_key}"}
        url = f"{self._server_url}/shows/{show_id}/whip"
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
            http.post(url, data=offer, headers=headers) as resp,
        ):
            body = await resp.text()
            if resp.status == 201:
                return body
            if resp.status == 409 and "already_publishing" in body:
                raise SomeoneElsePublishes()
            if 400 <= resp.status < 500:
                raise ShowRefused(f"WHIP for show {show_id} answered {resp.status}: {body[:200]}")
            raise aiohttp.ClientResponseError(
                resp.request_info, (), status=resp.status, message=body[:200]
            )
