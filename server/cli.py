"""`python -m server serve | migrate | seed-demo | create-operator`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
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
from server.localstripe_process import run_localstripe
from server.migrate import upgrade
from server.settings import Settings, SettingsError

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


async def _serve(settings: Settings) -> None:
    async with run_localstripe(settings) as settings:
        app = create_app(settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        print(f"\nJangteo Live is running at {settings.public_url}/", flush=True)
        print(f"Demo logins (password: {DEMO_PASSWORD}):", flush=True)
        for login in DEMO_LOGINS:
            print(f"  {login.role:9} {login.email}", flush=True)
        print("Stop with Ctrl+C.\n", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description="Jangteo Live")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the web server (and localstripe without Stripe keys)")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("seed-demo", help="create demo accounts, stores and shows")
    op = sub.add_parser("create-operator", help="create an operator account")
    op.add_argument("--email", required=True)
    op.add_argument("--name", default="Operator")
    args = parser.parse_args(argv)

    logs.configure()
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "serve":
            asyncio.run(_serve(settings))
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
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0
