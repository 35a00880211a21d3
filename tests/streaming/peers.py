"""aiortc peers for the streaming tests: a publisher with a synthetic camera and
microphone, and a viewer that decodes what it receives (so a test sees real pictures)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

from streaming import aiortc_hooks
from tests.helpers import AppClient

# Loopback only: no STUN server (aiortc would otherwise use a public one).
NO_ICE = RTCConfiguration(iceServers=[])
SDP = "application/sdp"
T = TypeVar("T")


class MovingPicture(VideoStreamTrack):
    """A small picture whose brightness changes every frame, at 30 fps."""

    def __init__(self, width: int = 160, height: int = 120) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.count = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        shade = (self.count * 7) % 256
        for i, plane in enumerate(frame.planes):
            plane.update(bytes([shade if i == 0 else 128]) * plane.buffer_size)
        self.count += 1
        frame.pts = pts
        frame.time_base = time_base
        return frame


async def until(condition: Callable[[], bool], within: float = 20.0) -> None:
    """Wait until `condition` holds; fails after `within` seconds (never a timing
    assertion: a generous bound so a stuck stream fails instead of hanging)."""
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.05)


async def eventually(
    fetch: Callable[[], Awaitable[T]], condition: Callable[[T], bool], within: float = 20.0
) -> T:
    """Fetch until `condition` holds (for states only an HTTP request can see)."""
    async with asyncio.timeout(within):
        while True:
            value = await fetch()
            if condition(value):
                return value
            await asyncio.sleep(0.05)


class Publisher:
    def __init__(self, video_codec: str = "video/VP8", *, rsa_certificate: bool = False) -> None:
        self.pc = RTCPeerConnection(NO_ICE)
        if rsa_certificate:
            aiortc_hooks.use_rsa_certificate(self.pc)
        self.video = MovingPicture()
        video = self.pc.addTransceiver(self.video, direction="sendonly")
        video.setCodecPreferences(
            [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == video_codec]
        )
        self.pc.addTrack(AudioStreamTrack())
        self.location = ""
        self.keyframe_requests = 0

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def publish(
        self,
        client: AppClient,
        show_id: int,
        *,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        offer = await self.offer()
        sent = {"Content-Type": SDP, **(headers or {})}
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        resp = await client.post(f"/shows/{show_id}/whip", data=offer, headers=sent)
        if resp.status == 201:
            self.location = resp.headers["Location"]
            await self.pc.setRemoteDescription(
                RTCSessionDescription(sdp=await resp.text(), type="answer")
            )
            self._count_keyframe_requests()
        return resp

    def _count_keyframe_requests(self) -> None:
        for sender in self.pc.getSenders():
            if sender.kind == "video":
                aiortc_hooks.intercept_keyframe_requests(sender, self._count_keyframe_request)

    def _count_keyframe_request(self) -> None:
        self.keyframe_requests += 1

    async def close(self) -> None:
        await self.pc.close()


class Viewer:
    def __init__(self, configuration: RTCConfiguration = NO_ICE) -> None:
        self.pc = RTCPeerConnection(configuration)
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver("audio", direction="recvonly")
        self.frames: list[av.VideoFrame] = []
        # (time.monotonic() when decoded, luma of the first pixel) of each video frame
        self.arrivals: list[tuple[float, int]] = []
        self.audio_frames = 0
        self.location = ""
        self._tasks: list[asyncio.Task[None]] = []
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._tasks.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if isinstance(frame, av.VideoFrame):
                    self.frames.append(frame)
                    self.arrivals.append((time.monotonic(), bytes(frame.planes[0])[0]))
                else:
                    self.audio_frames += 1
        except MediaStreamError:
            pass

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def watch(self, client: AppClient, show_id: int) -> Any:
        offer = await self.offer()
        resp = await client.post(
            f"/shows/{show_id}/whep", data=offer, headers={"Content-Type": SDP}
        )
        if resp.status == 201:
            self.location = resp.headers["Location"]
            await self.pc.setRemoteDescription(
                RTCSessionDescription(sdp=await resp.text(), type="answer")
            )
        return resp

    @property
    def brightness(self) -> list[int]:
        """The luma of each decoded frame's first pixel: proves pictures change."""
        return [bytes(f.planes[0])[0] for f in self.frames]

    async def close(self) -> None:
        await self.pc.close()
        for task in self._tasks:
            task.cancel()


def added_delays(first: Viewer, second: Viewer) -> list[float]:
    """For each picture `second` decoded, how many milliseconds after `first` decoded the
    same picture (the same brightness, the nearest in time: a shade comes back every
    256 frames, about 8 s)."""
    delays = []
    for t_second, shade in second.arrivals:
        candidates = [t for t, s in first.arrivals if s == shade and abs(t - t_second) < 2.0]
        if candidates:
            t_first = min(candidates, key=lambda t: abs(t - t_second))
            delays.append((t_second - t_first) * 1000)
    return delays
