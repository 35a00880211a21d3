"""Flash-sale benchmark: N shoppers at once try to buy S units through the real HTTP API.

    .venv/bin/python bench/flash_sale.py                 # 500 shoppers, 50 units, both DBs
    .venv/bin/python bench/flash_sale.py --shoppers 200 --units 20 --backends sqlite

Each backend gets a fresh database and the real server (`python -m server serve`, its
own process, so the load generator does not share its event loop) on a free port, beside
a localstripe started for the run (webhooks included). Every shopper signs in (a session made
directly, to skip password hashing), takes a card token like Stripe.js would, then at the
same moment asks to buy one unit of the pinned flash-sale product and, if it got one,
pays it with 4242 4242 4242 4242. The script prints what happened; it never fails on a
timing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checkout import catalog  # noqa: E402
from checkout.models import FlashSale, Order, OrderLine, OrderStatus, Product  # noqa: E402
from server.accounts import service as accounts  # noqa: E402
from server.accounts.models import AccountStatus, Role, User  # noqa: E402
from server.db import make_engine, make_sessionmaker  # noqa: E402
from server.localstripe_process import LOCALSTRIPE_KEY  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.security import CSRF_COOKIE, SESSION_COOKIE, csrf_token_for  # noqa: E402
from server.shows import service as shows  # noqa: E402

CARD = "4242424242424242"
SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"  # a throwaway run's key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@dataclass
class Shopper:
    cookie: str
    csrf: str
    token: str = ""


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    paid: int = 0
    sold_out: int = 0
    other: dict[str, int] = field(default_factory=dict)


async def seed(
    sessionmaker: async_sessionmaker[AsyncSession], secret: str, shoppers: int, units: int
) -> tuple[int, int, list[Shopper]]:
    async with sessionmaker.begin() as session:
        store = await accounts.create_store(session, name="벤치 반찬", refund_policy="7일")
        merchant = User(
            email="merchant@bench.kr",
            password_hash="!",
            display_name="사장님",
            role=Role.MERCHANT,
            status=AccountStatus.ACTIVE,
            store_id=store.id,
        )
        session.add(merchant)
        await session.flush()
        # Created as an operator would, so the show is approved and may go live.
        operator = User(id=0, role=Role.OPERATOR, status=AccountStatus.ACTIVE)
        show = await shows.create_show(
            session,
            operator,
            store_id=store.id,
            title="타임 특가 벤치",
            scheduled_start=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1),
        )
        await shows.transition(session, merchant, show, "start")
        product = await catalog.create_product(
            session,
            merchant,
            store.id,
            catalog.ProductInput(name="김장 김치 2kg", price=30000, stock=units),
        )
        await catalog.add_to_lineup(session, merchant, show, product.id)
        await catalog.start_sale(
            session,
            merchant,
            show,
            product_id=product.id,
            price=19900,
            cap=units,
            minutes=30,
            per_shopper=1,
        )
        users = [
            User(
                email=f"s{i}@bench.kr",
                password_hash="!",
                display_name=f"쇼퍼{i}",
                role=Role.SHOPPER,
                status=AccountStatus.ACTIVE,
            )
            for i in range(shoppers)
        ]
        session.add_all(users)
        await session.flush()
        people = []
        for user in users:
            token = await accounts.open_session(session, user, 1)
            seed_value = uuid.uuid4().hex
            people.append(
                Shopper(
                    cookie=f"{SESSION_COOKIE}={token}; {CSRF_COOKIE}={seed_value}",
                    csrf=csrf_token_for(secret, seed_value),
                )
            )
        return show.id, product.id, people


async def card_tokens(stripe: str, people: list[Shopper]) -> None:
    async with aiohttp.ClientSession() as http:

        async def one(person: Shopper) -> None:
            async with http.post(
                f"{stripe}/v1/tokens",
                data={
                    "card[number]": CARD,
                    "card[exp_month]": "12",
                    "card[exp_year]": "2034",
                    "card[cvc]": "123",
                    "key": "pk_test_localstripe",
                },
            ) as resp:
                person.token = (await resp.json())["id"]

        for start in range(0, len(people), 50):
            await asyncio.gather(*[one(p) for p in people[start : start + 50]])


async def buy(
    http: aiohttp.ClientSession,
    base: str,
    show_id: int,
    product_id: int,
    person: Shopper,
    outcome: Outcome,
) -> None:
    headers = {"Cookie": person.cookie, "X-CSRF-Token": person.csrf}
    started = time.perf_counter()
    async with http.post(
        f"{base}/api/shows/{show_id}/orders",
        headers=headers,
        json={
            "items": [{"product_id": product_id, "quantity": 1}],
            "name": "김민수",
            "phone": "010-1234-5678",
            "postcode": "04001",
            "address": "서울 마포구 망원로 1",
        },
    ) as resp:
        body = await resp.json()
        if resp.status != 201:
            code = body.get("error", {}).get("code", str(resp.status))
            if code == "sold_out":
                outcome.sold_out += 1
            else:
                outcome.other[code] = outcome.other.get(code, 0) + 1
            outcome.latencies.append(time.perf_counter() - started)
            return
    async with http.post(
        f"{base}/api/orders/{body['id']}/pay", headers=headers, json={"card_token": person.token}
    ) as resp:
        paid = await resp.json()
        if resp.status == 200 and paid.get("status") == "paid":
            outcome.paid += 1
        else:
            code = paid.get("error", {}).get("code", paid.get("status", str(resp.status)))
            outcome.other[code] = outcome.other.get(code, 0) + 1
    outcome.latencies.append(time.perf_counter() - started)


async def naive_baseline(
    sessionmaker: async_sessionmaker[AsyncSession], store_id: int, shoppers: int, units: int
) -> int:
    """The baseline: read the stock, then write what was read minus one, with no condition
    in the UPDATE. Returns how many units it believes it sold."""
    async with sessionmaker.begin() as session:
        product = Product(store_id=store_id, name="baseline", price=1, stock=units)
        session.add(product)
        await session.flush()
        product_id = product.id
    sold = 0

    async def one() -> None:
        nonlocal sold
        async with sessionmaker.begin() as session:
            seen = await session.scalar(select(Product.stock).where(Product.id == product_id))
            if not seen:
                return
            await asyncio.sleep(0)  # other shoppers run between the read and the write
            await session.execute(
                update(Product).where(Product.id == product_id).values(stock=seen - 1)
            )
        sold += 1

    await asyncio.gather(*[one() for _ in range(shoppers)])
    return sold


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def spawn(args: list[str], env: dict[str, str], log: str = "") -> subprocess.Popen[bytes]:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - the child's
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


async def start_server(
    database_url: str, stripe: str, port: int, data_dir: str
) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        PORT=str(port),
        DATA_DIR=data_dir,
        SECRET_KEY=SECRET,
        JANGTEO_ENV="test",
        STRIPE_SECRET_KEY=LOCALSTRIPE_KEY,
        STRIPE_PUBLISHABLE_KEY="pk_test_localstripe",
        STRIPE_API_BASE=stripe,
        PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    # BENCH_SERVER_LOG=path keeps the server's JSON request log (with each request's ms).
    process = spawn(
        [sys.executable, "-m", "server", "serve"], env, os.environ.get("BENCH_SERVER_LOG", "")
    )
    await wait_up(f"http://127.0.0.1:{port}/api/shows/1/shelf")
    return process


async def run_backend(
    name: str, database_url: str, stripe: str, shoppers: int, units: int
) -> dict[str, object]:
    port = free_port()
    engine = make_engine(database_url)
    sessionmaker = make_sessionmaker(engine)
    with tempfile.TemporaryDirectory() as tmp:
        await upgrade(engine)
        show_id, product_id, people = await seed(sessionmaker, SECRET, shoppers, units)
        await card_tokens(stripe, people)
        server = await start_server(database_url, stripe, port, tmp)
        try:
            outcome = Outcome()
            base = f"http://127.0.0.1:{port}"
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            ) as http:
                started = time.perf_counter()
                await asyncio.gather(
                    *[buy(http, base, show_id, product_id, p, outcome) for p in people]
                )
                elapsed = time.perf_counter() - started
            await asyncio.sleep(2.5)  # localstripe's webhooks come a second later
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
        async with sessionmaker() as session:
            sold = int(
                await session.scalar(
                    select(func.coalesce(func.sum(OrderLine.quantity), 0))
                    .join(Order, Order.id == OrderLine.order_id)
                    .where(Order.status == OrderStatus.PAID)
                )
                or 0
            )
            dangling = int(
                await session.scalar(
                    select(func.count(Order.id)).where(Order.status == OrderStatus.PENDING)
                )
                or 0
            )
            stock = int(
                await session.scalar(select(Product.stock).where(Product.id == product_id)) or 0
            )
            claimed = int(await session.scalar(select(FlashSale.claimed)) or 0)
            store_id = int(
                await session.scalar(select(Product.store_id).where(Product.id == product_id)) or 0
            )
        naive_sold = await naive_baseline(sessionmaker, store_id, shoppers, units)
    await engine.dispose()
    return {
        "backend": name,
        "shoppers": shoppers,
        "units": units,
        "paid": outcome.paid,
        "sold_in_db": sold,
        "oversold": max(0, sold - units),
        "sold_out": outcome.sold_out,
        "other": outcome.other,
        "dangling": dangling,
        "stock_left": stock,
        "claimed": claimed,
        "elapsed": elapsed,
        "p50_ms": statistics.median(outcome.latencies) * 1000,
        "p99_ms": percentile(outcome.latencies, 99) * 1000,
        "orders_per_s": outcome.paid / elapsed if elapsed else 0.0,
        "naive_sold": naive_sold,
        "naive_oversold": max(0, naive_sold - units),
    }


@contextlib.asynccontextmanager
async def localstripe() -> AsyncIterator[str]:
    """A localstripe for the run, on a free port; yields its URL."""
    port = free_port()
    process = spawn(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        dict(os.environ),
    )
    try:
        await wait_up(f"http://127.0.0.1:{port}/js.stripe.com/v3/")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _psql(sql: str) -> None:
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "test",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ],
        check=True,
        capture_output=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shoppers", type=int, default=500)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()

    results = []
    async with localstripe() as stripe:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    url = f"sqlite+aiosqlite:///{tmp}/bench.db"
                    results.append(
                        await run_backend("sqlite", url, stripe, args.shoppers, args.units)
                    )
            elif backend == "postgres":
                name = f"jt_bench_{uuid.uuid4().hex[:8]}"
                _psql(f'CREATE DATABASE "{name}"')
                try:
                    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
                    results.append(
                        await run_backend("postgres", url, stripe, args.shoppers, args.units)
                    )
                finally:
                    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    print(
        f"\nflash sale: {args.shoppers} shoppers at once, {args.units} units, "
        "one unit each, paying against localstripe\n"
    )
    header = (
        f"{'backend':9} {'paid':>5} {'oversold':>8} {'sold out':>8} {'other':>6} "
        f"{'dangling':>8} {'stock left':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'orders/s':>9} {'wall s':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        other = sum(r["other"].values()) if isinstance(r["other"], dict) else 0
        print(
            f"{r['backend']:9} {r['paid']:>5} {r['oversold']:>8} {r['sold_out']:>8} "
            f"{other:>6} {r['dangling']:>8} {r['stock_left']:>10} {r['p50_ms']:>8.0f} "
            f"{r['p99_ms']:>8.0f} {r['orders_per_s']:>9.1f} {r['elapsed']:>7.2f}"
        )
        if r["other"]:
            print(f"          other answers: {r['other']}")
    print(
        "\nbaseline, same run: read the stock then write it minus one (no conditional "
        "UPDATE), same shoppers, straight to the database"
    )
    for r in results:
        print(
            f"{r['backend']:9} believes it sold {r['naive_sold']} of {r['units']} units: "
            f"{r['naive_oversold']} oversold"
        )
    print(
        "\nlatency: from the buy request to the payment answer (sold-out answers: the "
        "buy request only)"
    )
    print(
        "goal (DESIGN.md): exactly as many paid orders as units, 0 oversold, every "
        "other shopper told sold out, 0 dangling reservations"
    )


if __name__ == "__main__":
    asyncio.run(main())
