"""Chat on Redis at the show's peak and through an outage.

- A crowd joining and leaving in the same second, on a process whose Redis pool has ten
  connections, waits for connections rather than failing: no error in the log and every
  viewer counted.
- When Redis goes away mid-show, chat keeps working within each process (its own
  viewers still see the messages), each process says so in one log line, and when
  Redis is back the processes reach each other again by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from server import keys
from server.accounts.models import User
from server.app import create_app
from server.events import ChatCommand, ChatEvent
from server.security import SESSION_COOKIE
from server.settings import Settings
from tests.chat.conftest import ChatClient
from tests.helpers import AppClient, ServerClient, login_as, make_merchant, make_show, make_user
from tests.localstripe import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"
pytestmark = pytest.mark.redis
CROWD = 300
UNREACHABLE = "Redis is unreachable"
BACK = "Redis answers again"


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    value = f"test-chat-{uuid.uuid4().hex[:10]}:"
    yield value
    client = aioredis.Redis.from_url(REDIS_URL)
    found = [k async for k in client.scan_iter(match=f"{value}*")]
    if found:
        await client.delete(*found)
    await client.aclose()


class CuttableProxy:
    """A TCP proxy in front of Redis that the test can cut (every connection dropped,
    new ones refused, as when Redis or its machine goes away) and restore."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", 6379)
        self._writers |= {writer, up_writer}
        for pipe in (self._pipe(reader, up_writer), self._pipe(up_reader, writer)):
            task = asyncio.create_task(pipe)
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        self._writers.clear()
        for task in list(self._pipes):
            task.cancel()
        await self._server.wait_closed()
        self._server = None

    async def close(self) -> None:
        if self._server is not None:
            await self.cut()


def _app(settings: Settings, redis_url: str, prefix: str, pool: int = 10) -> web.Application:
    return create_app(
        settings.with_(redis_url=redis_url, chat_redis_prefix=prefix, redis_max_connections=pool)
    )


async def _chat_client(
    served: AppClient, aiohttp_client: AiohttpClient, user: User | None = None
) -> ChatClient:
    cookie = ""
    if user is not None:
        http: ServerClient = await aiohttp_client(served.server)
        await login_as(http, user)
        token = next(c.value for c in http.session.cookie_jar if c.key == SESSION_COOKIE)
        cookie = f"{SESSION_COOKIE}={token}"
    return await ChatClient(str(served.make_url("/")), cookie).connect()


def _problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or (r.levelno >= logging.WARNING and "Redis" not in r.msg)
    ]


async def test_a_crowd_joining_at_once_on_a_small_pool_logs_no_error(
    settings: Settings,
    prefix: str,
    aiohttp_client: AiohttpClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    app = _app(settings, REDIS_URL, prefix, pool=10)
    served: AppClient = await aiohttp_client(app)
    _, store = await make_merchant(app)
    show = await make_show(app, store)
    url = str(served.make_url("/"))

    crowd = [ChatClient(url) for _ in range(CROWD)]
    try:
        await asyncio.gather(*[c.connect() for c in crowd])
        joined = await asyncio.gather(*[c.join(show.id) for c in crowd])
        assert len(joined) == CROWD
        assert await app[keys.chat_hub].state.viewer_count(show.id) == CROWD
        # The joins went through Redis (not the in-memory fallback).
        redis = aioredis.Redis.from_url(REDIS_URL)
        assert await redis.zcard(f"{prefix}viewers:{show.id}") == CROWD
        await redis.aclose()
    finally:
        await asyncio.gather(*[c.close() for c in crowd], return_exceptions=True)
    for _ in range(100):
        if await app[keys.chat_hub].state.viewer_count(show.id) == 0:
            break
        await asyncio.sleep(0.05)
    assert await app[keys.chat_hub].state.viewer_count(show.id) == 0
    assert _problems(caplog) == []
    assert not [r for r in caplog.records if UNREACHABLE in r.getMessage()]


async def test_chat_survives_redis_going_away_and_comes_back_by_itself(
    settings: Settings,
    prefix: str,
    aiohttp_client: AiohttpClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    proxy = CuttableProxy(free_port())
    await proxy.start()
    first = _app(settings, proxy.url, prefix)
    second = _app(settings, proxy.url, prefix)
    served = [await aiohttp_client(app) for app in (first, second)]
    _, store = await make_merchant(first)
    show = await make_show(first, store)
    poster_user = await make_user(first, name="장터지기")
    clients: list[ChatClient] = []
    try:
        poster = await _chat_client(served[0], aiohttp_client, poster_user)
        neighbour = await _chat_client(served[0], aiohttp_client)  # same process
        remote = await _chat_client(served[1], aiohttp_client)  # the other process
        clients += [poster, neighbour, remote]
        for client in clients:
            await client.join(show.id)

        async def say(text: str) -> None:
            await poster.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": text})

        await say("레디스 있을 때")
        await remote.wait_text("레디스 있을 때")

        await proxy.cut()
        for n in range(3):  # the flood limit allows three in its window
            await say(f"레디스 없이 {n}")
            await neighbour.wait_text(f"레디스 없이 {n}")
        late = await _chat_client(served[0], aiohttp_client)  # joining still works
        clients.append(late)
        assert (await late.join(show.id))["viewers"] >= 1
        # Hearts still count within the process.
        await neighbour.emit(ChatCommand.HEART, {"show_id": show.id})
        await poster.wait_for(ChatEvent.HEARTS)
        assert "레디스 없이 0" not in remote.texts()
        gone = [r for r in caplog.records if UNREACHABLE in r.getMessage()]
        assert 1 <= len(gone) <= 2, gone  # one line per process that noticed, not per call

        await proxy.start()
        # Back by itself: no restart, the processes reach each other again.
        for attempt in range(20):
            await asyncio.sleep(1.0)  # within the flood limit
            await say(f"다시 연결 {attempt}")
            try:
                await asyncio.wait_for(remote.wait_text(f"다시 연결 {attempt}"), 0.5)
                break
            except TimeoutError:
                continue
        else:
            raise AssertionError("chat did not reach the other process after Redis came back")
        assert len([r for r in caplog.records if UNREACHABLE in r.getMessage()]) == len(gone)
        assert 1 <= len([r for r in caplog.records if BACK in r.getMessage()]) <= 2
        assert _problems(caplog) == []
    finally:
        for client in clients:
            with contextlib.suppress(Exception):
                await client.close()
        await proxy.close()
