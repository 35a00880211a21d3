"""Two real server processes sharing PostgreSQL and Redis: a message posted on one
reaches a client of the other, and counts are the same whichever process you ask."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis
from pytest_aiohttp import AiohttpClient

from server.app import create_app
from server.events import ChatCommand, ChatEvent
from server.security import SESSION_COOKIE
from tests.chat.conftest import ChatClient
from tests.conftest import base_settings
from tests.helpers import AppClient, login_as, make_merchant, make_show, make_user

REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    value = f"test-chat-{uuid.uuid4().hex[:10]}:"
    yield value
    client = aioredis.Redis.from_url(REDIS_URL)
    keys = [k async for k in client.scan_iter(match=f"{value}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def servers(pg_url: str, prefix: str, tmp_path: Path) -> Iterator[list[str]]:
    env = {**os.environ, "CHAT_REDIS_PREFIX": prefix, "PYTHONPATH": str(ROOT)}
    urls, procs = [], []
    for n in range(2):
        port = free_port()
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.chat.serve",
                    str(port),
                    pg_url,
                    REDIS_URL,
                    str(tmp_path / f"data{n}"),
                ],
                cwd=ROOT,
                env=env,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


async def _wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"{url}/socket.io/?EIO=4&transport=polling") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} did not start")


async def test_message_posted_on_one_process_reaches_the_other(
    pg_url: str,
    prefix: str,
    servers: list[str],
    tmp_path: Path,
    aiohttp_client: AiohttpClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHAT_REDIS_PREFIX", prefix)
    # A third, in-test app on the same database creates the accounts and the show.
    app = create_app(base_settings(tmp_path, pg_url))
    http: AppClient = await aiohttp_client(app)
    _, store = await make_merchant(app)
    show = await make_show(app, store)
    shopper = await make_user(app, name="두 번째 서버")
    await login_as(http, shopper)
    token = next(c.value for c in http.session.cookie_jar if c.key == SESSION_COOKIE)
    for url in servers:
        await _wait_up(url)

    poster = await ChatClient(servers[0], f"{SESSION_COOKIE}={token}").connect()
    reader = await ChatClient(servers[1]).connect()
    try:
        await poster.join(show.id)
        await reader.join(show.id)
        # Viewers are counted across both processes.
        await reader.wait_for(ChatEvent.VIEWERS, lambda v: v["count"] == 2)
        await poster.wait_for(ChatEvent.VIEWERS, lambda v: v["count"] == 2)

        await poster.emit(
            ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "저쪽 서버에도 보이나요?"}
        )
        seen = await reader.wait_text("저쪽 서버에도 보이나요?")
        assert seen["author"] == "두 번째 서버"

        for _ in range(5):
            await reader.emit(ChatCommand.HEART, {"show_id": show.id})
        for _ in range(5):
            await poster.emit(ChatCommand.HEART, {"show_id": show.id})
        await reader.wait_for(ChatEvent.HEARTS, lambda h: h["total"] == 10)
        await poster.wait_for(ChatEvent.HEARTS, lambda h: h["total"] == 10)
        # Each batched heart count went out once, to both processes' clients.
        assert sum(h["added"] for h in reader.events(ChatEvent.HEARTS)) == 10
    finally:
        await poster.close()
        await reader.close()
