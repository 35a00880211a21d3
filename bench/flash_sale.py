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

PostgreSQL runs `--postgres-workers` processes (default 2, one per core here) behind
HAProxy, sharing Redis. Latency is reported as the issue asks: p50/p99 from pressing buy
to the reservation (201) or "sold out" (409) over all shoppers, and the winners' payment
confirmation apart (pay p99); every other shopper browses in English, and what the
losers read is printed per language. Beside the naive read-then-write baseline, a floor
from the same run: as many simultaneous GET /healthz as shoppers. One `RESULT
flash_sale ...` line per backend ends the output.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
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


async def health_floor(http: aiohttp.ClientSession, base: str, count: int) -> float:
    """The floor, same run, same server: p99 ms of `count` simultaneous GET /healthz (no
    session, no database). No buy can be answered faster than the server parses and
    answers that many requests at once."""

    async def one() -> float:
        started = time.perf_counter()
        async with http.get(f"{base}/healthz") as resp:
            await resp.read()
        return time.perf_counter() - started

    return percentile(await asyncio.gather(*[one() for _ in range(count)]), 99) * 1000


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def start_server(
    database_url: str, stripe: str, port: int, data_dir: str, workers: int
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
    command = [sys.executable, "-m", "server", "serve"]
    if workers > 1:
        # Several workers behind HAProxy share Redis (docs/deploy.md); keys of this run
        # only, so that other runs on the same Redis do not mix in.
        env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
        env["CHAT_REDIS_PREFIX"] = f"jt-bench-{uuid.uuid4().hex[:8]}:"
        command += ["--workers", str(workers), "--first-worker-port", str(free_port_run(workers))]
    # BENCH_SERVER_LOG=path keeps the server's JSON request log (with each request's ms).
    process = spawn(command, env, os.environ.get("BENCH_SERVER_LOG", ""))
    try:
        await wait_up(f"http://127.0.0.1:{port}/api/shows/1/shelf", attempts=600)
    except BaseException:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        raise
    return process


def free_port_run(count: int) -> int:
    """The first of `count` + 1 consecutive free ports (the workers and HAProxy's status)."""
    for _ in range(50):
        first = free_port()
        ports = range(first, first + count + 1)
        try:
            for candidate in ports:
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return first
    raise RuntimeError("no run of free ports")


async def run_backend(
    name: str, database_url: str, stripe: str, shoppers: int, units: int, workers: int
) -> dict[str, object]:
    port = free_port()
    engine = make_engine(database_url)
    sessionmaker = make_sessionmaker(engine)
    with tempfile.TemporaryDirectory() as tmp:
        await upgrade(engine)
        show_id, product_id, people = await seed(sessionmaker, SECRET, shoppers, units)
        await card_tokens(stripe, people)
        server = await start_server(database_url, stripe, port, tmp, workers)
        try:
            outcome = Outcome()
            base = f"http://127.0.0.1:{port}"
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            ) as http:
                floor = await health_floor(http, base, shoppers)
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
        "workers": workers,
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
        "p50_ms": statistics.median(outcome.reserve_latencies) * 1000,
        "p99_ms": percentile(outcome.reserve_latencies, 99) * 1000,
        "floor_p99_ms": floor,
        "pay_p50_ms": statistics.median(outcome.pay_latencies or [0.0]) * 1000,
        "pay_p99_ms": percentile(outcome.pay_latencies or [0.0], 99) * 1000,
        "sold_out_messages": outcome.sold_out_messages,
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
    parser.add_argument(
        "--postgres-workers",
        type=int,
        default=2,
        help="server processes on PostgreSQL (behind HAProxy, sharing Redis when above 1)",
    )
    args = parser.parse_args()

    results = []
    async with localstripe() as stripe:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    url = f"sqlite+aiosqlite:///{tmp}/bench.db"
                    results.append(
                        await run_backend("sqlite", url, stripe, args.shoppers, args.units, 1)
                    )
            elif backend == "postgres":
                name = f"jt_bench_{uuid.uuid4().hex[:8]}"
                psql(f'CREATE DATABASE "{name}"')
                try:
                    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
                    results.append(
                        await run_backend(
                            "postgres",
                            url,
                            stripe,
                            args.shoppers,
                            args.units,
                            args.postgres_workers,
                        )
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
        f"{'pay p99':>8} {'orders/s':>9} {'wall s':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        other = sum(r["other"].values()) if isinstance(r["other"], dict) else 0
        print(
            f"{r['backend']:9} {r['paid']:>5} {r['oversold']:>8} {r['sold_out']:>8} "
            f"{other:>6} {r['dangling']:>8} {r['stock_left']:>10} {r['p50_ms']:>8.0f} "
            f"{r['p99_ms']:>8.0f} {r['pay_p99_ms']:>8.0f} {r['orders_per_s']:>9.1f} "
            f"{r['elapsed']:>7.2f}"
        )
        if r["other"]:
            print(f"          other answers: {r['other']}")
        messages = r["sold_out_messages"]
        assert isinstance(messages, dict)
        for lang, said in sorted(messages.items()):
            print(f"          losers browsing in {lang} read: {' | '.join(sorted(said))}")
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
        "\nfloor, same run, same server: p99 of as many simultaneous GET /healthz as "
        "shoppers (no session, no database)"
    )
    for r in results:
        print(f"{r['backend']:9} workers={r['workers']} floor p99 {r['floor_p99_ms']:.0f} ms")
    print(
        "\nlatency (p50/p99): from pressing buy to the answer the shopper waits on, the "
        "reservation that opens the payment sheet or 'sold out', over all shoppers; "
        "pay p99: the winners' payment confirmation, from the pay request to its answer"
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
    print(f"\nload average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for r in results:
        print(
            f"RESULT flash_sale backend={r['backend']} workers={r['workers']} "
            f"shoppers={r['shoppers']} units={r['units']} paid={r['paid']} "
            f"oversold={r['oversold']} dangling={r['dangling']} p50_ms={r['p50_ms']:.0f} "
            f"p99_ms={r['p99_ms']:.0f} pay_p99_ms={r['pay_p99_ms']:.0f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
