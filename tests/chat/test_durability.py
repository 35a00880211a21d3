"""Chat messages are durable before anyone is told of them (issue #16, item 2).

Text no page can show or database store (a lone UTF-16 surrogate, NUL, control
characters) is refused at the edge in the sender's language, and the honest messages
of the same window are stored and shown. A window is stored so that one row the
database refuses costs only itself. A window is committed before it is sent, and the
sender is told `message:stored` only after the commit: a server killed with SIGKILL in
the middle of a message stream loses nothing that anyone was shown or told was sent.
Each runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.messages import Draft, store_window
from chat.models import ChatMessage
from server import keys
from server.accounts import service as accounts
from server.accounts.models import Role
from server.db import make_engine, make_sessionmaker, utcnow
from server.events import ChatCommand, ChatEvent
from server.migrate import upgrade
from server.security import SESSION_COOKIE
from server.settings import Settings
from tests.chat.conftest import ChatClient, Connect
from tests.helpers import AppClient, make_merchant, make_show, make_user

ROOT = Path(__file__).resolve().parents[2]
LONE_SURROGATE = "반값이에요 \ud83d 지금!"  # half of an emoji pair, as a broken client sends


@pytest.fixture
def settings(any_db_settings: Settings) -> Settings:
    """Every app in this module runs once on SQLite and once on PostgreSQL."""
    return any_db_settings


async def _bodies(app: web.Application) -> list[str]:
    await app[keys.chat_hub].wait_stored()
    async with app[keys.sessionmaker]() as session:
        return list(await session.scalars(select(ChatMessage.body).order_by(ChatMessage.id)))


async def test_a_lone_surrogate_is_refused_while_its_window_mates_are_stored(
    app: web.Application, connect: Connect
) -> None:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    observer = await connect()
    await observer.join(show.id)
    first, breaker, last = [await connect(await make_user(app), locale="ko") for _ in range(3)]
    for client in (first, breaker, last):
        await client.join(show.id)

    # Three messages within one window: the broken one in the middle.
    await first.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "김치 있어요?"})
    await breaker.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": LONE_SURROGATE})
    await last.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "배송비는요?"})

    error = await breaker.error()
    assert error == {
        "code": "bad_text",
        "message": "표시할 수 없는 문자(제어 문자나 깨진 이모지)가 들어 있어요. "
        "지우고 다시 보내 주세요.",
        "event": ChatCommand.SEND_MESSAGE,
    }
    await observer.wait_text("배송비는요?")
    await observer.wait_text("김치 있어요?")
    assert await _bodies(app) == ["김치 있어요?", "배송비는요?"]
    assert sorted(observer.texts()) == sorted(["김치 있어요?", "배송비는요?"])


@pytest.mark.parametrize(
    "text",
    ["널\x00문자", "\x1b[31m빨강", "뒤\ude00만", "벨\x07", "\x85다음 줄"],
)
async def test_unshowable_characters_are_refused_in_the_senders_language(
    app: web.Application, connect: Connect, text: str
) -> None:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    sender = await connect(await make_user(app), locale="en")
    await sender.join(show.id)
    await sender.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": text})
    error = await sender.error()
    assert error["code"] == "bad_text"
    assert error["message"].startswith("Your text contains characters that cannot be shown")
    # Line breaks and tabs are only spacing: the message goes through on one line.
    await sender.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "줄\n바꿈\t탭"})
    await sender.wait_text("줄 바꿈 탭")
    assert await _bodies(app) == ["줄 바꿈 탭"]


def _draft(show_id: int, user_id: int, text: str) -> Draft:
    return Draft(
        key=secrets.token_urlsafe(12),
        show_id=show_id,
        user_id=user_id,
        author="작성자",
        badge="shopper",
        text=text,
        question=False,
        offset_ms=None,
        at=utcnow(),
    )


async def test_one_row_the_database_refuses_costs_only_itself(
    app: web.Application, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    """Past the edge (say a rule added later lets a bad row through), a window whose
    insert fails is stored row by row: the others are stored and shown, the bad one is
    logged, never shown, and its sender is told it was not stored."""
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    user = await make_user(app)
    observer = await connect()
    await observer.join(show.id)
    drafts = [
        _draft(show.id, user.id, "첫째"),
        _draft(show.id, user.id, LONE_SURROGATE),
        _draft(show.id, user.id, "셋째"),
    ]
    hub = app[keys.chat_hub]
    stored = [hub.post(d) for d in drafts]  # one window
    assert [await f for f in stored] == [True, False, True]
    assert await _bodies(app) == ["첫째", "셋째"]
    frames = observer.events(ChatEvent.MESSAGES)
    assert [m["text"] for batch in frames for m in batch] == ["첫째", "셋째"]
    dropped = [r for r in caplog.records if "could not be stored" in r.getMessage()]
    assert [getattr(r, "message_key", None) for r in dropped] == [drafts[1].key]


async def test_store_window_keeps_order_and_reports_what_it_kept(
    app: web.Application, client: AppClient
) -> None:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    user = await make_user(app)
    good = [_draft(show.id, user.id, f"좋은 {n}") for n in range(5)]
    bad = _draft(show.id, user.id, "\udfff")
    kept = await store_window(app[keys.sessionmaker], [*good[:2], bad, *good[2:]])
    assert kept == good
    assert await _bodies(app) == [d.text for d in good]


# --- a real server killed mid-stream -----------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server_process(any_db_settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.chat.serve",
            str(port),
            any_db_settings.database_url,
            "",  # no Redis: one process
            str(tmp_path / "data"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        log.close()


async def _wait_up(url: str, process: Any) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            assert process.poll() is None, "the chat server died at start"
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise AssertionError("the chat server did not start")


@contextlib.asynccontextmanager
async def _write_lock(url: str, engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold the write lock that chat's inserts need, then let go."""
    if url.startswith("sqlite"):
        db = sqlite3.connect(url.split("///", 1)[1], timeout=30, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            db.execute("ROLLBACK")
            db.close()
        return
    async with engine.connect() as conn:
        await conn.execute(text("LOCK TABLE chat_messages IN SHARE MODE"))
        yield
        await conn.rollback()


async def _stream(client: ChatClient, show_id: int, name: str, sent: list[str]) -> None:
    """Post as fast as the socket takes it until the server is gone."""
    n = 0
    with contextlib.suppress(Exception):
        while client.sio.connected:
            body = f"{name} {n}"
            await client.emit(
                ChatCommand.SEND_MESSAGE, {"show_id": show_id, "text": body, "ref": body}
            )
            sent.append(body)
            n += 1
            await asyncio.sleep(0.002)


async def test_a_kill_mid_stream_loses_no_acknowledged_or_shown_message(
    any_db_settings: Settings, server_process: tuple[str, Any]
) -> None:
    url, process = server_process
    engine = make_engine(any_db_settings.database_url)
    await upgrade(engine)
    app = web.Application()
    app[keys.sessionmaker] = make_sessionmaker(engine)
    merchant, store = await make_merchant(app, "크래시 채팅")
    show = await make_show(app, store)
    operator = await make_user(app, Role.OPERATOR)
    cookies = []
    for user in (merchant, operator):  # staff: no flood control, so a real stream
        async with app[keys.sessionmaker].begin() as session:
            cookies.append(f"{SESSION_COOKIE}={await accounts.open_session(session, user, 1)}")
    await _wait_up(url, process)

    senders = [await ChatClient(url, cookie).connect() for cookie in cookies]
    observer = await ChatClient(url).connect()
    for client in (*senders, observer):
        await client.join(show.id)
    sent: list[str] = []
    streams = [
        asyncio.create_task(_stream(c, show.id, f"s{i}", sent)) for i, c in enumerate(senders)
    ]

    def acked() -> list[dict[str, Any]]:
        return [a for c in senders for a in c.events(ChatEvent.STORED)]

    for _ in range(2400):  # until a good part of the stream is acknowledged (≤ 2 min)
        if len(acked()) >= 100:
            break
        await asyncio.sleep(0.05)
    # Then the database stalls, as a busy disk or a long transaction makes it, and the
    # server dies in the stall: whatever it showed or acknowledged meanwhile is lost
    # unless it was committed first.
    async with _write_lock(any_db_settings.database_url, engine):
        sent_before_stall = len(sent)
        await asyncio.sleep(1.0)
        process.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(process.wait, 30) == -signal.SIGKILL
    assert len(sent) > sent_before_stall, "nothing was sent during the stall"
    await asyncio.gather(*streams)
    acknowledged = acked()
    shown = observer.texts()
    for client in (*senders, observer):
        with contextlib.suppress(Exception):
            await client.close()

    async with make_sessionmaker(engine)() as session:
        rows = {m.key: m.body for m in await session.scalars(select(ChatMessage))}
    await engine.dispose()
    assert len(acknowledged) >= 20, "too few messages acknowledged to show anything"
    assert len(sent) > len(acknowledged), "the kill came after the stream ended"
    # Every acknowledged message is stored, under the id the sender was given.
    assert {a["id"]: a["ref"] for a in acknowledged}.items() <= rows.items()
    # And so is every message anyone was shown.
    assert set(shown) <= set(rows.values())
    print(
        f"\nchat kill -9: {len(sent)} sent, {len(acknowledged)} acknowledged, "
        f"{len(shown)} shown, {len(rows)} stored; acknowledged but lost: "
        f"{len({a['id'] for a in acknowledged} - set(rows))}"
    )
