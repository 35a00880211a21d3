"""`python -m server serve | migrate | seed-demo | create-operator`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys
from collections.abc import Sequence

from aiohttp import web

from server import logs
from server.accounts import service as accounts
from server.accounts.models import AccountStatus, Role
from server.app import create_app
from server.db import make_engine, make_sessionmaker
from server.demo import DEMO_LOGINS, DEMO_PASSWORD, renew_live_demo, seed
from server.demo_media import seed_media
from server.errors import DomainError
from server.localstripe_process import LocalstripeFailed, run_localstripe
from server.migrate import upgrade
from server.settings import Settings, SettingsError
from server.workers import (
    Supervisor,
    Topology,
    TopologyError,
    default_workers,
    with_shared_webhook_secret,
)

log = logging.getLogger("jangteo.cli")


async def _migrate(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _seed(settings: Settings) -> bool:
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine).begin() as session:
            created = await seed(session)
            if not created and await renew_live_demo(session) is not None:
                print("a new live demo show replaces the one that was ended", flush=True)
        # Also when the data was there: puts back pictures and videos deleted since.
        async with make_sessionmaker(engine).begin() as session:
            made = await seed_media(session, settings.data_dir)
        if made.covers or made.photos or made.clip or made.recordings:
            print(
                f"demo media made in {settings.data_dir}: {made.covers} covers, "
                f"{made.photos} product photos"
                + (", the live demo clip" if made.clip else "")
                + (f", {len(made.recordings)} recording(s)" if made.recordings else ""),
                flush=True,
            )
        return created
    finally:
        await engine.dispose()


async def _create_operator(settings: Settings, email: str, name: str, password: str) -> None:
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine).begin() as session:
            await accounts.create_user(
                session,
                email=email,
                password=password,
                display_name=name,
                role=Role.OPERATOR,
                status=AccountStatus.ACTIVE,
            )
    finally:
        await engine.dispose()


# Connections the kernel queues before the server accepts them. aiohttp's default, 128,
# is far below a flash sale's crowd arriving in the same second: the connections beyond it
# may be dropped and their clients try again a whole second later (TCP's
# retransmission). The kernel caps it at somaxconn.
LISTEN_BACKLOG = 4096


def _stop_on_sigterm() -> None:
    """SIGTERM (a supervisor, `kill`) stops as cleanly as Ctrl+C: the worker gives its
    leader lease back and closes its sockets; the parent stops its workers."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


def _banner(settings: Settings) -> None:
    print(f"\nJangteo Live is running at {settings.public_url}/", flush=True)
    print(f"Demo logins (password: {DEMO_PASSWORD}):", flush=True)
    for login in DEMO_LOGINS:
        print(f"  {login.role:9} {login.email}", flush=True)
    print("Stop with Ctrl+C.\n", flush=True)


async def _serve_app(settings: Settings, banner: bool) -> None:
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port, backlog=LISTEN_BACKLOG)
        await site.start()
        if banner:
            _banner(settings)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def _serve(settings: Settings, topology: Topology) -> None:
    _stop_on_sigterm()
    if topology.workers == 1:
        async with run_localstripe(settings) as settings:
            await _serve_app(settings, banner=True)
        return
    if settings.run_migrations:
        await _migrate(settings)  # once, before any worker starts
    async with run_localstripe(settings) as settings:
        settings = with_shared_webhook_secret(settings)
        await Supervisor(settings, topology).run(on_ready=lambda: _banner(settings))


async def _serve_worker(settings: Settings, index: int) -> None:
    _stop_on_sigterm()
    log.info("worker serving", extra={"worker": index, "port": settings.port})
    await _serve_app(settings, banner=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description="Jangteo Live")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web server (and localstripe without Stripe keys)")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes (default: one per core with JANGTEO_ENV=production, else 1); "
        "more than one needs REDIS_URL and runs HAProxy on HOST:PORT in front of them",
    )
    serve.add_argument(
        "--first-worker-port",
        type=int,
        default=None,
        help="with several workers: worker 1 listens on this port, worker 2 on the next… "
        "(default: PORT + 1)",
    )
    serve.add_argument(
        "--no-balancer",
        action="store_true",
        help="with several workers: do not start HAProxy (your own balancer fronts them)",
    )
    # Internal: the parent of `--workers N` starts each worker with its number.
    serve.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("seed-demo", help="create demo accounts, stores and shows")
    op = sub.add_parser("create-operator", help="create an operator account")
    op.add_argument("--email", required=True)
    op.add_argument("--name", default="Operator")
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.library_log_level)
    try:
        if args.command == "serve" and args.worker:
            asyncio.run(_serve_worker(settings, args.worker))
        elif args.command == "serve":
            topology = Topology(
                workers=args.workers if args.workers is not None else default_workers(settings),
                first_port=args.first_worker_port or settings.port + 1,
                balancer=not args.no_balancer,
            )
            topology.check(settings)
            asyncio.run(_serve(settings, topology))
        elif args.command == "migrate":
            asyncio.run(_migrate(settings))
            print("database is up to date")
        elif args.command == "seed-demo":
            created = asyncio.run(_seed(settings))
            print("demo data created" if created else "demo data already present")
        elif args.command == "create-operator":
            password = getpass.getpass("password for the new operator: ")
            asyncio.run(_create_operator(settings, args.email, args.name, password))
            print(f"operator {args.email} created")
    except (DomainError, TopologyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, DomainError) else 2
    except LocalstripeFailed as exc:
        # The cause in one line, not a traceback: it is the machine, not our code.
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        return 0
    return 0
