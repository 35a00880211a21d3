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
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import round_trips  # noqa: E402
from bench.shoppers import (  # noqa: E402
    SECRET,
    Outcome,
    buy,
    card_tokens,
    free_port,
    localstripe,
    psql,
    seed,
    spawn,
    wait_up,
)
from checkout.models import FlashSale, Order, OrderLine, OrderStatus, Product  # noqa: E402
from server.db import make_engine, make_sessionmaker  # noqa: E402
from server.localstripe_process import LOCALSTRIPE_KEY  # noqa: E402
from server.migrate import upgrade  # noqa: E402


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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shoppers", type=int, default=500)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--round-trip-orders",
        type=int,
        default=5,
        help="orders paid one by one to count database round trips (0: skip)",
    )
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
                psql(f'CREATE DATABASE "{name}"')
                try:
                    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
                    results.append(
                        await run_backend("postgres", url, stripe, args.shoppers, args.units)
                    )
                finally:
                    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        trips = (
            await round_trips.count(args.backends.split(","), stripe, args.round_trip_orders)
            if args.round_trip_orders
            else {}
        )

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
    if trips:
        print(
            f"\nround trips: {args.round_trip_orders} orders bought and paid one by one, every "
            "statement the buy, the payment and its webhook send (bench/round_trips.py)"
        )
        print("\n".join(round_trips.report(trips)))


if __name__ == "__main__":
    asyncio.run(main())
