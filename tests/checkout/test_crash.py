"""A real server process is killed (SIGKILL) in the middle of payments, right after a
charge went through and before its order heard of it. After a restart every charge ends
as a paid order (or a refund), and the shoppers' retries pay what was never charged —
on SQLite and PostgreSQL, against localstripe."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from checkout import catalog
from checkout.models import Order, OrderStatus, Refund
from server import keys
from server.accounts import service as accounts
from server.accounts.models import Role
from server.db import make_engine, make_sessionmaker
from server.migrate import upgrade
from server.security import CSRF_COOKIE, SESSION_COOKIE, csrf_token_for
from server.settings import Settings
from server.shows import service as shows
from tests.checkout.conftest import order_body
from tests.helpers import make_merchant, make_show, make_user
from tests.localstripe import TEST_CARDS, card_token, free_port, intents_of

ROOT = Path(__file__).resolve().parents[2]
SECRET = "crash-test-secret-0123456789-abcdefghijklmnop"
SHOPPERS = 8
KILL_AFTER = 3  # the server dies right after the third confirmation returns


@dataclass
class Buyer:
    headers: dict[str, str]
    order_id: int = 0


@dataclass
class Store:
    engine: AsyncEngine
    show_id: int
    product_id: int
    buyers: list[Buyer]


@pytest.fixture
async def store(any_db_settings: Settings) -> AsyncIterator[Store]:
    """The database, migrated, with a live show, its pinned product and signed-in buyers."""
    engine = make_engine(any_db_settings.database_url)
    await upgrade(engine)
    app = web.Application()
    app[keys.sessionmaker] = make_sessionmaker(engine)
    merchant, shop = await make_merchant(app, "크래시 반찬")
    show = await make_show(app, shop, start=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    buyers = []
    async with app[keys.sessionmaker].begin() as session:
        product = await catalog.create_product(
            session,
            merchant,
            shop.id,
            catalog.ProductInput(name="김장 김치 2kg", price=15000, stock=20, per_order_limit=5),
        )
        live = await shows.get_show(session, show.id)
        await shows.transition(session, merchant, live, "start")
        await catalog.add_to_lineup(session, merchant, live, product.id)
        await catalog.pin(session, merchant, live, product.id)
    for _ in range(SHOPPERS):
        user = await make_user(app, Role.SHOPPER)
        async with app[keys.sessionmaker].begin() as session:
            token = await accounts.open_session(session, user, 1)
        seed = uuid.uuid4().hex
        buyers.append(
            Buyer(
                {
                    "Cookie": f"{SESSION_COOKIE}={token}; {CSRF_COOKIE}={seed}",
                    "X-CSRF-Token": csrf_token_for(SECRET, seed),
                }
            )
        )
    yield Store(engine, show.id, product.id, buyers)
    await engine.dispose()


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def reconciled(self) -> dict[str, Any]:
        """The start-up reconciliation's report, from the server's JSON log."""
        for line in self.log.read_text().splitlines():
            if line.startswith("{") and json.loads(line).get("message") == "payments reconciled":
                found: dict[str, Any] = json.loads(line)
                return found
        raise AssertionError(f"no reconciliation in {self.log}")


class Servers:
    """The app in its own process, started again and again on one port and database."""

    def __init__(self, settings: Settings, stripe: str, tmp_path: Path) -> None:
        self.port = free_port()
        self.webhook = f"crash-{uuid.uuid4().hex[:10]}"
        self._settings, self._stripe, self._tmp = settings, stripe, tmp_path
        self.started: list[subprocess.Popen[bytes]] = []

    async def start(self, *extra: str) -> Server:
        server = self._spawn(extra)
        await _wait_up(server)
        return server

    def _spawn(self, extra: tuple[str, ...]) -> Server:
        log = self._tmp / f"server{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.checkout.crash_server",
                    f"--port={self.port}",
                    f"--database-url={self._settings.database_url}",
                    f"--stripe={self._stripe}",
                    f"--data-dir={self._tmp / 'data'}",
                    f"--webhook-name={self.webhook}",
                    f"--secret={SECRET}",
                    *extra,
                ],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        return Server(f"http://127.0.0.1:{self.port}", process, log)


@pytest.fixture
def servers(any_db_settings: Settings, localstripe_url: str, tmp_path: Path) -> Iterator[Servers]:
    found = Servers(any_db_settings, localstripe_url, tmp_path)
    yield found
    for process in found.started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


async def _wait_up(server: Server) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            assert server.process.poll() is None, server.log.read_text()
            try:
                async with http.get(f"{server.url}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"the server did not start: {server.log.read_text()}")


async def _post(
    http: aiohttp.ClientSession, url: str, buyer: Buyer, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    async with http.post(url, json=body, headers=buyer.headers) as resp:
        return resp.status, await resp.json()


async def _pay_all(
    server: Server, buyers: list[Buyer], stripe: str
) -> list[tuple[int, dict[str, Any]] | BaseException]:
    """Every buyer pays at once; answers, or the error of a connection that died."""
    tokens = [await card_token(stripe, TEST_CARDS["success"]) for _ in buyers]
    async with aiohttp.ClientSession() as http:
        return await asyncio.gather(
            *[
                _post(http, f"{server.url}/api/orders/{b.order_id}/pay", b, {"card_token": t})
                for b, t in zip(buyers, tokens, strict=True)
            ],
            return_exceptions=True,
        )


async def _orders(engine: AsyncEngine) -> dict[int, Order]:
    async with make_sessionmaker(engine)() as session:
        return {o.id: o for o in await session.scalars(select(Order))}


async def _refunded_intents(engine: AsyncEngine) -> set[str]:
    async with make_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(Order.payment_intent_id).join(Refund, Refund.order_id == Order.id)
        )
        return {str(r[0]) for r in rows}


async def test_a_kill_mid_payment_leaves_no_charge_without_its_order(
    store: Store, servers: Servers, localstripe_url: str
) -> None:
    server = await servers.start(f"--kill-after-confirms={KILL_AFTER}")
    async with aiohttp.ClientSession() as http:
        for buyer in store.buyers:
            url = f"{server.url}/api/shows/{store.show_id}/orders"
            status, body = await _post(http, url, buyer, order_body(store.product_id))
            assert status == 201, body
            buyer.order_id = int(body["id"])
    answers = await _pay_all(server, store.buyers, localstripe_url)
    assert await asyncio.to_thread(server.process.wait, 60) == -signal.SIGKILL
    assert any(isinstance(a, Exception) for a in answers)  # requests died with the process

    # At the moment of the crash every charge already had its order: the intent was
    # recorded before it was confirmed. At least one of them was never told the outcome.
    charged = {
        pi["id"]: int(pi["metadata"]["order_id"])
        for pi in await intents_of(localstripe_url, servers.webhook)
        if pi["status"] == "succeeded"
    }
    assert len(charged) >= KILL_AFTER
    at_crash = await _orders(store.engine)
    assert all(at_crash[order].payment_intent_id == pi for pi, order in charged.items())
    unsettled = [o for o in charged.values() if at_crash[o].status is OrderStatus.PENDING]
    assert unsettled, "the kill came after every outcome was recorded"

    # The restart asks the gateway about them before taking a request (claims of the
    # dead requests are cleared at once: nothing of theirs was ever confirmed).
    server = await servers.start("--claim-timeout=0")
    report = server.reconciled()
    assert report["paid"] >= len(unsettled)
    after = await _orders(store.engine)
    refunded = await _refunded_intents(store.engine)
    for pi, order in charged.items():
        assert after[order].payment_intent_id == pi
        assert after[order].status is OrderStatus.PAID or pi in refunded, after[order].status
    paid = {o.id for o in after.values() if o.status is OrderStatus.PAID}
    assert paid == set(charged.values()) - {o for pi, o in charged.items() if pi in refunded}

    # Every shopper tries again: the charged are answered `paid` without a second charge,
    # the others pay now.
    for answer in await _pay_all(server, store.buyers, localstripe_url):
        assert not isinstance(answer, BaseException) and answer[0] == 200, answer
        assert answer[1]["status"] == "paid", answer
    final = await intents_of(localstripe_url, servers.webhook)
    succeeded = [pi for pi in final if pi["status"] == "succeeded"]
    assert sorted(int(pi["metadata"]["order_id"]) for pi in succeeded) == sorted(
        b.order_id for b in store.buyers
    )
    assert all(o.status is OrderStatus.PAID for o in (await _orders(store.engine)).values())
    print(
        f"\ncrash test: {len(charged)} charges at the kill, {len(unsettled)} of them with "
        f"the order still pending; after the restart {len(paid)} paid, {len(refunded)} "
        f"refunded; after the retries {len(succeeded)} charges for {SHOPPERS} paid orders"
    )
