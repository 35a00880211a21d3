"""Database round trips per paid order, counted on the engine.

    .venv/bin/python bench/round_trips.py                    # 10 orders, SQLite and PostgreSQL
    .venv/bin/python bench/round_trips.py --orders 20 --backends sqlite

The app is made by the real factory in this process (so a SQLAlchemy
`before_cursor_execute` listener can sit on its engines), served on a free port beside
a localstripe, and shoppers buy one unit each and pay it with 4242 4242 4242 4242, one
after the other. Each statement is counted against the request it ran for: the buy
(`POST /api/shows/{id}/orders`), the payment (`POST /api/orders/{id}/pay`) and the
signed webhook that follows (`payment_intent.succeeded`), live-event subscribers (the
analytics journal) included. The session middleware's look-up of who is signed in is
outside what is counted (it is the same for every request), and so are background jobs.
Statements are what the driver sends (on SQLite that includes each `BEGIN`); a
transaction is one `begin` on a connection.

`flash_sale.py` prints these figures beside the figure measured on the code before the
checkout service (see BEFORE below).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import shoppers  # noqa: E402
from checkout.config import CheckoutConfig  # noqa: E402
from checkout.models import PaymentEvent  # noqa: E402
from server import keys  # noqa: E402
from server.app import create_app  # noqa: E402
from server.db import make_engine, make_sessionmaker  # noqa: E402
from server.localstripe_process import localstripe_settings  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.settings import Secret, Settings  # noqa: E402

PHASES = ("buy", "pay", "webhook")

# Measured with this script on main at 1caadee (before the checkout service: checkout/flows.py
# functions taking `app`), 10 orders, as (statements, transactions) per paid order.
BEFORE: dict[str, dict[str, tuple[float, float]]] = {
    "sqlite": {"buy": (19, 3), "pay": (21, 6), "webhook": (8, 1), "total": (48, 10)},
    "postgres": {"buy": (16, 3), "pay": (15, 6), "webhook": (7, 1), "total": (38, 10)},
}


@dataclass
class Tally:
    statements: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PHASES, 0))
    transactions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PHASES, 0))


class RoundTripCounter:
    """Counts what each request sends to the database, by a context variable the request
    sets (it reaches SQLAlchemy's greenlets and the tasks they start, such as the commit
    at the end of `sessionmaker.begin()`)."""

    def __init__(self) -> None:
        self.tally = Tally()
        self._phase: contextvars.ContextVar[str | None] = contextvars.ContextVar(
            "round_trip_phase", default=None
        )

    def attach(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "before_cursor_execute", self._on_statement)
        event.listen(engine.sync_engine, "begin", self._on_begin)

    def _on_statement(self, *_: object) -> None:
        phase = self._phase.get()
        if phase is not None:
            self.tally.statements[phase] += 1

    def _on_begin(self, *_: object) -> None:
        phase = self._phase.get()
        if phase is not None:
            self.tally.transactions[phase] += 1

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        token = self._phase.set(_phase_of_path(request.method, request.path))
        try:
            return await handler(request)
        finally:
            self._phase.reset(token)


def _phase_of_path(method: str, path: str) -> str | None:
    if method != "POST":
        return None
    if path.endswith("/stripe-webhook"):
        return "webhook"
    if path.endswith("/pay"):
        return "pay"
    if path.startswith("/api/shows/") and path.endswith("/orders"):
        return "buy"
    return None


async def _events_seen(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count(PaymentEvent.id))) or 0)


async def _wait_for_webhooks(engine: AsyncEngine, wanted: int, webhooks_done: list[int]) -> None:
    for _ in range(200):
        if await _events_seen(engine) >= wanted and webhooks_done[0] >= wanted:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"the webhook of order {wanted} did not come")


async def count_backend(database_url: str, stripe: str, orders: int) -> dict[str, float]:
    """Per paid order, on average: statements and transactions of each phase."""
    own = make_engine(database_url)
    await upgrade(own)
    # One unit more than orders: no order here sells the product out (the sold-out
    # announcement's journal line would be counted against one order only).
    show_id, product_id, people = await shoppers.seed(
        make_sessionmaker(own), shoppers.SECRET, orders, orders + 1
    )
    await shoppers.card_tokens(stripe, people)
    port = shoppers.free_port()
    with tempfile.TemporaryDirectory() as tmp:
        settings = localstripe_settings(
            Settings(
                environment="test",
                database_url=database_url,
                secret_key=Secret(shoppers.SECRET),
                public_url=f"http://127.0.0.1:{port}",
                port=port,
                data_dir=Path(tmp),
            ),
            stripe,
        )
        app = create_app(settings)
        app[keys.checkout_config] = CheckoutConfig(
            sweep_every_seconds=3600, webhook_name=f"rt-{uuid.uuid4().hex[:8]}"
        )
        counter = RoundTripCounter()
        app.middlewares.append(counter.middleware)
        webhooks_done = [0]

        async def webhook_answered(request: web.Request, _: web.StreamResponse) -> None:
            if request.path.endswith("/stripe-webhook"):
                webhooks_done[0] += 1

        app.on_response_prepare.append(webhook_answered)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        try:
            engines = {app[keys.engine]}
            reader = app[keys.sessionmaker].kw.get("bind")
            if isinstance(reader, AsyncEngine):
                engines.add(reader)
            for engine in engines:
                counter.attach(engine)
            base = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
                for n, person in enumerate(people, start=1):
                    outcome = shoppers.Outcome()
                    await shoppers.buy(http, base, show_id, product_id, person, outcome)
                    if outcome.paid != 1:
                        raise RuntimeError(f"order {n} was not paid: {outcome}")
                    await _wait_for_webhooks(own, n, webhooks_done)
        finally:
            await runner.cleanup()
    await own.dispose()
    tally = counter.tally
    figures: dict[str, float] = {}
    for phase in PHASES:
        figures[f"{phase}_statements"] = tally.statements[phase] / orders
        figures[f"{phase}_transactions"] = tally.transactions[phase] / orders
    figures["statements"] = sum(tally.statements.values()) / orders
    figures["transactions"] = sum(tally.transactions.values()) / orders
    return figures


async def count(backends: list[str], stripe: str, orders: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite+aiosqlite:///{tmp}/round_trips.db"
                results[backend] = await count_backend(url, stripe, orders)
        elif backend == "postgres":
            name = f"jt_rt_{uuid.uuid4().hex[:8]}"
            shoppers.psql(f'CREATE DATABASE "{name}"')
            try:
                url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
                results[backend] = await count_backend(url, stripe, orders)
            finally:
                shoppers.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


def report(results: dict[str, dict[str, float]]) -> list[str]:
    lines = []
    for backend, f in results.items():
        before = BEFORE.get(backend, {}).get("total")
        was = f"before {before[0]:g}, " if before else ""
        lines.append(
            f"{backend:9} database round trips per paid order: {was}after {f['statements']:g} "
            f"(buy {f['buy_statements']:g}, pay {f['pay_statements']:g}, "
            f"webhook {f['webhook_statements']:g}); transactions "
            + (f"before {before[1]:g}, " if before else "")
            + f"after {f['transactions']:g}"
        )
    return lines


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    async with shoppers.localstripe() as stripe:
        results = await count(args.backends.split(","), stripe, args.orders)
    for backend, figures in results.items():
        print(backend, {k: round(v, 2) for k, v in figures.items()})
    print("\n".join(report(results)))


if __name__ == "__main__":
    asyncio.run(main())
