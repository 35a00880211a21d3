"""One show across two server processes: the publisher on one (the origin), viewers on
the other (an edge), which pulls the show once from the origin and fans it out. Both
processes share PostgreSQL and Redis, as workers or machines of one site do."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiortc import RTCSessionDescription
from pytest_aiohttp import AiohttpClient

from server.app import create_app
from server.security import SESSION_COOKIE
from server.shows.models import Show
from tests.conftest import base_settings
from tests.helpers import AppClient, login_as, make_merchant, make_show
from tests.localstripe import free_port
from tests.streaming.peers import SDP, Publisher, Viewer, added_delays, eventually, until

REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    value = f"test-edge-{uuid.uuid4().hex[:10]}:"
    yield value
    client = aioredis.Redis.from_url(REDIS_URL)
    found = [k async for k in client.scan_iter(match=f"{value}*")]
    if found:
        await client.delete(*found)
    await client.aclose()


class Node:
    """A server process of the site, and an HTTP client of it."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url
        self.http = http

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.http.post(f"{self.url}{path}", **kwargs)

    async def status(self, show_id: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
        # A rehearsal's status is told only to the show's staff (pass their cookie).
        async with self.http.get(f"{self.url}/shows/{show_id}/stream", headers=headers) as resp:
            body: dict[str, Any] = await resp.json()
            return body

    async def wait_status(
        self, show_id: int, headers: dict[str, str] | None = None, **wanted: Any
    ) -> dict[str, Any]:
        async with asyncio.timeout(30):
            while True:
                status = await self.status(show_id, headers)
                if all(status.get(k) == v for k, v in wanted.items()):
                    return status
                await asyncio.sleep(0.1)


@pytest.fixture
async def start_nodes(pg_url: str, prefix: str, tmp_path: Path) -> AsyncIterator[Any]:
    """Starts two server processes (`tests.chat.serve`) once the database is migrated."""
    procs: list[asyncio.subprocess.Process] = []
    env = {**os.environ, "CHAT_REDIS_PREFIX": prefix, "PYTHONPATH": str(ROOT)}

    async def start() -> tuple[list[str], list[asyncio.subprocess.Process]]:
        urls = []
        for n in range(2):
            port = free_port()
            data = str(tmp_path / f"node{n}")
            procs.append(
                await asyncio.create_subprocess_exec(
                    *(sys.executable, "-m", "tests.chat.serve", str(port), pg_url, REDIS_URL),
                    data,
                    cwd=ROOT,
                    env=env,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        async with aiohttp.ClientSession() as http:
            for url in urls:
                for _ in range(600):
                    try:
                        async with http.get(f"{url}/healthz") as resp:
                            if resp.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError(f"{url} did not start")
        return urls, procs

    yield start
    for proc in procs:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
    for proc in procs:
        await asyncio.wait_for(proc.wait(), 30)


async def _watch(
    node: Node, viewer: Viewer, show_id: int, headers: dict[str, str] | None = None
) -> int:
    offer = await viewer.offer()
    async with node.post(
        f"/shows/{show_id}/whep", data=offer, headers={"Content-Type": SDP, **(headers or {})}
    ) as resp:
        status: int = resp.status
        if status == 201:
            viewer.location = resp.headers["Location"]
            await viewer.pc.setRemoteDescription(
                RTCSessionDescription(sdp=await resp.text(), type="answer")
            )
        return status


async def _publish(node: Node, publisher: Publisher, show: Show, query: str = "") -> int:
    offer = await publisher.offer()
    headers = {"Content-Type": SDP, "Authorization": f"Bearer {show.stream_key}"}
    async with node.post(f"/shows/{show.id}/whip{query}", data=offer, headers=headers) as resp:
        status: int = resp.status
        if status == 201:
            await publisher.pc.setRemoteDescription(
                RTCSessionDescription(sdp=await resp.text(), type="answer")
            )
        return status


async def test_viewers_on_a_second_node_see_the_show_published_on_the_first(
    pg_url: str, tmp_path: Path, aiohttp_client: AiohttpClient, start_nodes: Any
) -> None:
    # An app in the test migrates the shared database and makes the show.
    app = create_app(base_settings(tmp_path, pg_url))
    local: AppClient = await aiohttp_client(app)
    merchant, store = await make_merchant(local.app)
    await login_as(local, merchant)
    staff_cookie = next(c.value for c in local.session.cookie_jar if c.key == SESSION_COOKIE)
    show = await make_show(local.app, store)
    rehearsed = await make_show(local.app, store, title="리허설 중인 방송")
    urls, procs = await start_nodes()

    publisher, near, far, far2, late = Publisher(), Viewer(), Viewer(), Viewer(), Viewer()
    rehearsing, outsider, rehearsal_staff = Publisher(), Viewer(), Viewer()
    async with aiohttp.ClientSession() as http:
        origin, edge = Node(urls[0], http), Node(urls[1], http)
        try:
            # A viewer cannot make the edge pull a show that is in rehearsal on the
            # origin, nor one that is not live.
            staff = {"Cookie": f"{SESSION_COOKIE}={staff_cookie}"}
            assert await _publish(origin, rehearsing, rehearsed, "?rehearsal=1") == 201
            await origin.wait_status(rehearsed.id, staff, publishing=True)
            assert await _watch(edge, outsider, rehearsed.id) == 409
            assert await _watch(edge, outsider, show.id) == 409
            assert (await origin.status(rehearsed.id, staff))["edges"] == 0
            # The show's merchant may watch the rehearsal wherever the request lands.
            assert await _watch(edge, rehearsal_staff, rehearsed.id, staff) == 201
            await until(lambda: len(rehearsal_staff.frames) >= 10, within=60)
            assert (await origin.status(rehearsed.id, staff))["edges"] == 1

            assert await _publish(origin, publisher, show) == 201
            await origin.wait_status(show.id, state="live", publishing=True)

            assert await _watch(origin, near, show.id) == 201
            assert await _watch(edge, far, show.id) == 201
            assert await _watch(edge, far2, show.id) == 201
            # Pictures reach the edge's viewers, and they move.
            await until(lambda: len(far.frames) >= 60 and len(far2.frames) >= 30, within=60)
            assert len(set(far.brightness)) > 10
            await until(lambda: far.audio_frames >= 50, within=30)  # sound too
            # The origin serves its own viewer and one subscription for the edge, which
            # serves its two viewers; the studio's figure (the origin's) counts all
            # three; the edge's players see the publisher.
            assert (await origin.status(show.id))["edges"] == 1
            await origin.wait_status(show.id, viewers=3)
            edge_status = await edge.status(show.id)
            assert edge_status["viewers"] == 2
            assert edge_status["publishing"] is True

            delays = added_delays(near, far)
            assert len(delays) > 30  # the edge shows the very pictures the origin shows
            delays.sort()
            print(
                f"\nedge added delay over {len(delays)} frames: "
                f"median {statistics.median(delays):.1f} ms, "
                f"p90 {delays[int(len(delays) * 0.9)]:.1f} ms"
            )

            # The last viewer leaving the edge ends its pull (after a short linger).
            for viewer in (far, far2):
                async with http.delete(f"{edge.url}{viewer.location}") as resp:
                    assert resp.status == 200
            await origin.wait_status(show.id, edges=0, viewers=1)

            # A viewer arriving later makes the edge pull again; when the origin dies
            # (its mark in Redis runs out, its connection stops answering), the edge
            # notices and its players are told the publisher is gone.
            assert await _watch(edge, late, show.id) == 201
            await until(lambda: len(late.frames) >= 10, within=60)
            procs[0].kill()
            await eventually(lambda: edge.status(show.id), lambda s: not s["publishing"], 120)
        finally:
            for peer in (publisher, near, far, far2, late, rehearsing, outsider, rehearsal_staff):
                await peer.close()


async def test_a_publisher_moving_to_the_edge_makes_it_the_origin(
    pg_url: str, tmp_path: Path, aiohttp_client: AiohttpClient, start_nodes: Any
) -> None:
    app = create_app(base_settings(tmp_path, pg_url))
    local: AppClient = await aiohttp_client(app)
    _, store = await make_merchant(local.app)
    show = await make_show(local.app, store)
    (first_url, second_url), _ = await start_nodes()

    first_publisher, second_publisher = Publisher(), Publisher()
    on_second, on_first = Viewer(), Viewer()
    async with aiohttp.ClientSession() as http:
        first, second = Node(first_url, http), Node(second_url, http)
        try:
            assert await _publish(first, first_publisher, show) == 201
            await first.wait_status(show.id, publishing=True)
            assert await _watch(second, on_second, show.id) == 201
            await until(lambda: len(on_second.frames) >= 10, within=60)
            await first.wait_status(show.id, edges=1)

            # The encoder reconnects, and the balancer sends it to the other node.
            await first_publisher.close()
            assert await _publish(second, second_publisher, show) == 201
            seen = len(on_second.frames)
            # The viewer there goes on watching, now from the publisher beside it; the
            # first node no longer relays to it, and pulls from it for its own viewer.
            await until(lambda: len(on_second.frames) >= seen + 30, within=60)
            await first.wait_status(show.id, edges=0)
            assert await _watch(first, on_first, show.id) == 201
            await until(lambda: len(on_first.frames) >= 10, within=60)
            assert (await second.status(show.id))["edges"] == 1
        finally:
            for peer in (first_publisher, second_publisher, on_second, on_first):
                await peer.close()
