"""The site as it runs past one process: `python -m server serve --workers 2`, which
starts localstripe once, two workers on PostgreSQL and Redis, and a real HAProxy
(deploy/haproxy.cfg) in front. A flash sale bought through the balancer by shoppers
pinned to different workers sells exactly its cap, and two chat clients pinned to
different workers (one on Socket.IO's polling transport, which only works when the
balancer keeps it on one process) see each other's messages."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import socketio
from aiortc import RTCSessionDescription
from pytest_aiohttp import AiohttpClient
from yarl import URL

from checkout import catalog
from server import keys
from server.accounts.models import Role, User
from server.app import create_app
from server.events import ChatCommand, ChatEvent
from server.security import CSRF_COOKIE, SESSION_COOKIE, csrf_token_for
from server.settings import DEV_SECRET
from server.shows import service as shows
from tests.chat.conftest import WAIT, ChatClient
from tests.checkout.conftest import order_body
from tests.conftest import base_settings
from tests.helpers import PASSWORD, make_merchant, make_show, make_user
from tests.localstripe import card_token, free_port
from tests.streaming.peers import SDP, Publisher, Viewer, until

REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parents[2]
WORKERS = ("w1", "w2")
pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@dataclass
class Site:
    url: str
    stripe: str
    log: Path
    process: subprocess.Popen[bytes]


def _free_run(count: int) -> int:
    """The first of `count` consecutive free loopback ports."""
    while True:
        first = free_port()
        if first + count > 65535:
            continue
        socks = []
        try:
            for port in range(first, first + count):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    value = f"test-site-{uuid.uuid4().hex[:10]}:"
    yield value
    client = aioredis.Redis.from_url(REDIS_URL)
    found = [k async for k in client.scan_iter(match=f"{value}*")]
    if found:
        await client.delete(*found)
    await client.aclose()


@contextlib.contextmanager
def running_site(pg_url: str, prefix: str, tmp_path: Path) -> Iterator[Site]:
    port, stripe_port, first_worker = free_port(), free_port(), _free_run(3)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "JANGTEO_ENV": "test",
        "DATABASE_URL": pg_url,
        "REDIS_URL": REDIS_URL,
        "CHAT_REDIS_PREFIX": prefix,
        "PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LOCALSTRIPE_PORT": str(stripe_port),
        "DATA_DIR": str(tmp_path / "site"),
    }
    log = tmp_path / "site.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "serve",
                "--workers",
                "2",
                "--first-worker-port",
                str(first_worker),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Site(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{stripe_port}", log, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


class Browser:
    """A browser on the site: cookies kept (loopback addresses included), pinned to one
    worker by the balancer's cookie as a returning browser would be."""

    def __init__(self, site: Site, worker: str) -> None:
        self.site = site
        self.worker = worker
        jar = aiohttp.CookieJar(unsafe=True)
        jar.update_cookies({"jt_worker": worker}, URL(site.url))
        self.http = aiohttp.ClientSession(base_url=site.url, cookie_jar=jar)

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.http.cookie_jar if c.key == name), "")

    def csrf(self) -> str:
        return csrf_token_for(DEV_SECRET, self.cookie(CSRF_COOKIE))

    async def served_by(self) -> str:
        async with self.http.get("/healthz") as resp:
            return resp.headers.get("X-Served-By", "")

    async def sign_in(self, user: User) -> None:
        async with self.http.get("/login") as resp:
            assert resp.status == 200
        async with self.http.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "_csrf": self.csrf()},
            allow_redirects=False,
        ) as resp:
            assert resp.status == 303, await resp.text()

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        async with self.http.post(path, json=body, headers={"X-CSRF-Token": self.csrf()}) as resp:
            return resp.status, await resp.json()

    def chat_cookie(self) -> str:
        """The Cookie header of a websocket client (one request, so no jar needed)."""
        return f"{SESSION_COOKIE}={self.cookie(SESSION_COOKIE)}; jt_worker={self.worker}"

    async def close(self) -> None:
        await self.http.close()


async def _wait_ready(site: Site) -> None:
    """Until the balancer answers through each worker."""
    async with aiohttp.ClientSession() as http:
        for worker in WORKERS:
            for _ in range(900):
                try:
                    async with http.get(
                        f"{site.url}/healthz", headers={"Cookie": f"jt_worker={worker}"}
                    ) as resp:
                        if resp.status == 200 and resp.headers.get("X-Served-By") == worker:
                            break
                except aiohttp.ClientError:
                    pass
                if site.process.poll() is not None:
                    raise AssertionError(f"the site stopped; log: {site.log.read_text()}")
                await asyncio.sleep(0.2)
            else:
                raise AssertionError(f"{worker} never answered; log: {site.log.read_text()}")


def _log_records(site: Site) -> list[dict[str, Any]]:
    records = []
    for line in site.log.read_text().splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


async def test_a_shopper_journey_and_a_chat_across_two_workers_behind_haproxy(
    pg_url: str, prefix: str, tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    # The accounts, the live show and its pinned product, made on the same database by
    # an app in the test (it migrates the database before the site starts).
    app = create_app(base_settings(tmp_path, pg_url))
    await aiohttp_client(app)
    merchant, store = await make_merchant(app, "망원 반찬")
    show = await make_show(app, store, start=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    async with app[keys.sessionmaker].begin() as session:
        product = await catalog.create_product(
            session,
            merchant,
            store.id,
            catalog.ProductInput(name="김장 김치 2kg", price=15000, stock=10, per_order_limit=5),
        )
        live = await shows.get_show(session, show.id)
        await shows.transition(session, merchant, live, "start")
        await catalog.add_to_lineup(session, merchant, live, product.id)
        await catalog.pin(session, merchant, live, product.id)
    buyers = [await make_user(app, Role.SHOPPER, name=n) for n in ("김민수", "이지은")]

    with running_site(pg_url, prefix, tmp_path) as site:
        await _wait_ready(site)
        await _shop_and_chat(site, show.id, product.id, merchant, buyers)
        # The site-wide background jobs ran in exactly one worker all along.
        leaders = [r for r in _log_records(site) if r.get("logger") == "jangteo.leader"]
        assert len(leaders) == 1, leaders
        # Kill that worker: the parent starts it again, another worker takes the jobs
        # over once the dead one's lease runs out, and the site answers on both again.
        os.kill(leaders[0]["pid"], signal.SIGKILL)
        for _ in range(300):
            await asyncio.sleep(0.1)
            leaders = [r for r in _log_records(site) if r.get("logger") == "jangteo.leader"]
            if len(leaders) == 2:
                break
        assert len(leaders) == 2, "nobody took the background jobs over"
        await _wait_ready(site)
    records = _log_records(site)
    served = [r for r in records if r.get("logger") == "jangteo.http"]
    # localstripe's signed webhooks reached a worker through the balancer and were
    # accepted: every worker knows the one webhook secret the parent made up.
    hooks = [r for r in served if r.get("path") == "/api/checkout/stripe-webhook"]
    assert hooks and all(r["status"] == 200 for r in hooks), hooks
    restarted = [r for r in records if r.get("message") == "worker exited; starting it again"]
    assert len(restarted) == 1
    assert not [r for r in records if r.get("level") == "error" and r not in restarted]


async def _shop_and_chat(
    site: Site, show_id: int, product_id: int, merchant: User, buyers: list[User]
) -> None:
    seller = Browser(site, "w1")
    shoppers = [Browser(site, worker) for worker in WORKERS]
    chatters: list[ChatClient] = []
    try:
        # Each browser stays on its worker (the balancer's cookie), whatever it asks.
        for browser in shoppers:
            assert [await browser.served_by() for _ in range(3)] == [browser.worker] * 3
        # A show's video requests go to one worker, whoever asks (hashed show id).
        owners = set()
        for browser in shoppers:
            async with browser.http.get(f"/shows/{show_id}/stream") as resp:
                owners.add(resp.headers.get("X-Served-By"))
        assert len(owners) == 1

        await seller.sign_in(merchant)
        for browser, user in zip(shoppers, buyers, strict=True):
            await browser.sign_in(user)

        # A flash sale of one unit; both shoppers press buy at once on different workers.
        status, state = await seller.post(
            f"/api/shows/{show_id}/sale",
            {"product_id": product_id, "price": 9900, "cap": 1, "minutes": 5, "per_shopper": 1},
        )
        assert status == 200, state
        results = await asyncio.gather(
            *[b.post(f"/api/shows/{show_id}/orders", order_body(product_id)) for b in shoppers]
        )
        assert sorted(status for status, _ in results) == [201, 409], results
        winner = shoppers[[status for status, _ in results].index(201)]
        order = next(body for status, body in results if status == 201)
        refused = next(body for status, body in results if status == 409)
        assert refused["error"]["code"] == "sold_out" and "품절" in refused["error"]["message"]
        assert order["total"] == 9900

        token = await card_token(site.stripe, "4242424242424242")
        status, paid = await winner.post(f"/api/orders/{order['id']}/pay", {"card_token": token})
        assert status == 200 and paid["status"] == "paid", paid
        # The other worker sees the same order (one database).
        loser = next(b for b in shoppers if b is not winner)
        async with seller.http.get(f"/api/shows/{show_id}/orders") as resp:
            listed = await resp.json()
        assert [o["order_id"] for o in listed] == [order["id"]]
        assert loser.worker != winner.worker

        # Chat: one client on each worker; the second starts on HTTP long-polling, which
        # breaks unless every one of its requests reaches the same worker.
        poster = ChatClient(site.url, shoppers[0].chat_cookie())
        chatters.append(poster)
        await poster.connect()
        # Like a browser, the polling client sends its cookies with every request.
        reader = ChatClient(site.url)
        reader.sio = socketio.AsyncClient(reconnection=False, http_session=shoppers[1].http)
        reader.sio.on("*", reader._record)
        chatters.append(reader)
        await reader.sio.connect(site.url, transports=["polling"], wait_timeout=WAIT)
        await poster.join(show_id)
        await reader.join(show_id)
        await reader.wait_for(ChatEvent.VIEWERS, lambda v: v["count"] == 2)
        await poster.emit(ChatCommand.SEND_MESSAGE, {"show_id": show_id, "text": "w1에서 보냅니다"})
        assert (await reader.wait_text("w1에서 보냅니다"))["author"] == "김민수"
        await reader.emit(ChatCommand.SEND_MESSAGE, {"show_id": show_id, "text": "w2에서 답합니다"})
        assert (await poster.wait_text("w2에서 답합니다"))["author"] == "이지은"
    finally:
        for chatter in chatters:
            await chatter.close()
        for browser in (seller, *shoppers):
            await browser.close()


async def test_a_show_published_through_haproxy_is_watched_on_both_workers(
    pg_url: str, prefix: str, tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    """WHIP goes to the show's worker (its origin); a viewer's WHEP is served by the
    worker the balancer pinned the viewer to, which pulls the show from the origin."""
    app = create_app(base_settings(tmp_path, pg_url))
    await aiohttp_client(app)
    _, store = await make_merchant(app, "망원 반찬")
    show = await make_show(app, store)
    publisher = Publisher()
    viewers = {worker: Viewer() for worker in WORKERS}
    with running_site(pg_url, prefix, tmp_path) as site:
        await _wait_ready(site)
        browsers = [Browser(site, worker) for worker in WORKERS]
        try:
            async with browsers[0].http.post(
                f"/shows/{show.id}/whip",
                data=await publisher.offer(),
                headers={"Content-Type": SDP, "Authorization": f"Bearer {show.stream_key}"},
            ) as resp:
                assert resp.status == 201, await resp.text()
                origin = resp.headers["X-Served-By"]
                answer = await resp.text()
            await publisher.pc.setRemoteDescription(
                RTCSessionDescription(sdp=answer, type="answer")
            )
            for browser in browsers:
                viewer = viewers[browser.worker]
                async with browser.http.post(
                    f"/shows/{show.id}/whep",
                    data=await viewer.offer(),
                    headers={"Content-Type": SDP},
                ) as resp:
                    assert resp.status == 201, await resp.text()
                    assert resp.headers["X-Served-By"] == browser.worker
                    viewer.location = resp.headers["Location"]
                    answer = await resp.text()
                await viewer.pc.setRemoteDescription(
                    RTCSessionDescription(sdp=answer, type="answer")
                )
            await until(lambda: all(len(v.frames) >= 30 for v in viewers.values()), within=60)
            # The origin serves its own viewer and one pull by the other worker; the
            # studio's figure counts both viewers.
            async with browsers[0].http.get(f"/shows/{show.id}/stream") as resp:
                assert resp.headers["X-Served-By"] == origin
                status = await resp.json()
            assert (status["viewers"], status["edges"]) == (2, 1)
            # Each viewer's DELETE reaches the worker holding its session.
            for browser in browsers:
                async with browser.http.delete(viewers[browser.worker].location) as resp:
                    assert resp.status == 200
        finally:
            await publisher.close()
            for viewer in viewers.values():
                await viewer.close()
            for browser in browsers:
                await browser.close()
