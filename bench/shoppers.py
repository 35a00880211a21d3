"""What the checkout benchmarks share: a localstripe for the run, a live show with a
flash sale and signed-in shoppers holding card tokens, and one shopper buying and paying
through the real HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout import catalog
from server.accounts import service as accounts
from server.accounts.models import AccountStatus, Role, User
from server.i18n import LOCALE_COOKIE
from server.security import CSRF_COOKIE, SESSION_COOKIE, csrf_token_for
from server.shows import service as shows
from server.trust.demo import give_identity

ROOT = Path(__file__).resolve().parent.parent
CARD = "4242424242424242"
SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"  # a throwaway run's key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_up(url: str, attempts: int = 100) -> None:
    """Wait for a 200 from `url`, `attempts` times 0.2 s at most."""
    async with aiohttp.ClientSession() as http:
        for _ in range(attempts):
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
    lang: str = "ko"


@dataclass
class Outcome:
    # From pressing buy to the answer the shopper waits on: the reservation that opens
    # the payment sheet (201) or "sold out" (409). One per shopper.
    reserve_latencies: list[float] = field(default_factory=list)
    # The winners' payment confirmation, from the pay request to its answer.
    pay_latencies: list[float] = field(default_factory=list)
    paid: int = 0
    sold_out: int = 0
    other: dict[str, int] = field(default_factory=dict)
    # What the losers read, by the language they browse in.
    sold_out_messages: dict[str, set[str]] = field(default_factory=dict)


async def seed(
    sessionmaker: async_sessionmaker[AsyncSession], secret: str, shoppers: int, units: int
) -> tuple[int, int, list[Shopper]]:
    async with sessionmaker.begin() as session:
        store = await accounts.create_store(session, name="벤치 반찬", refund_policy="7일")
        give_identity(store, 1)  # a verified seller: its shows may go public
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
        for number, user in enumerate(users):
            token = await accounts.open_session(session, user, 1)
            seed_value = uuid.uuid4().hex
            lang = "en" if number % 2 else "ko"  # every other shopper browses in English
            people.append(
                Shopper(
                    cookie=(
                        f"{SESSION_COOKIE}={token}; {CSRF_COOKIE}={seed_value}; "
                        f"{LOCALE_COOKIE}={lang}"
                    ),
                    csrf=csrf_token_for(secret, seed_value),
                    lang=lang,
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
        outcome.reserve_latencies.append(time.perf_counter() - started)
        if resp.status != 201:
            code = body.get("error", {}).get("code", str(resp.status))
            if code == "sold_out":
                outcome.sold_out += 1
                message = str(body.get("error", {}).get("message", ""))
                outcome.sold_out_messages.setdefault(person.lang, set()).add(message)
            else:
                outcome.other[code] = outcome.other.get(code, 0) + 1
            return
    started = time.perf_counter()
    async with http.post(
        f"{base}/api/orders/{body['id']}/pay", headers=headers, json={"card_token": person.token}
    ) as resp:
        paid = await resp.json()
        if resp.status == 200 and paid.get("status") == "paid":
            outcome.paid += 1
        else:
            code = paid.get("error", {}).get("code", paid.get("status", str(resp.status)))
            outcome.other[code] = outcome.other.get(code, 0) + 1
    outcome.pay_latencies.append(time.perf_counter() - started)


def spawn(args: list[str], env: dict[str, str], log: str = "") -> subprocess.Popen[bytes]:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - the child's
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


@contextlib.asynccontextmanager
async def localstripe() -> AsyncIterator[str]:
    """A localstripe for the run, on a free port of the loopback, its data in a folder of
    its own (the launcher `make run` uses); yields its URL."""
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="bench-localstripe-"))
    process = spawn(
        [
            sys.executable,
            "-m",
            "server.localstripe_hooks",
            "--port",
            str(port),
            "--data-file",
            str(data / "localstripe.pickle"),
        ],
        dict(os.environ),
    )
    try:
        await wait_up(f"http://127.0.0.1:{port}/js.stripe.com/v3/")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)


def psql(sql: str) -> None:
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
