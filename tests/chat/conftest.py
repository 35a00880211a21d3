"""Chat test fixtures: the real app on a loopback port and real Socket.IO clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import socketio
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from server.accounts.models import User
from server.events import ChatCommand, ChatEvent
from server.security import SESSION_COOKIE
from tests.helpers import AppClient, ServerClient, login_as

WAIT = 10.0  # generous: other engineers load the same two cores


class ChatClient:
    """A Socket.IO client that records every event it receives."""

    def __init__(
        self, url: str, cookie: str = "", transports: tuple[str, ...] = ("websocket",)
    ) -> None:
        self.url = url
        self.cookie = cookie
        self.transports = list(transports)
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: list[tuple[str, Any]] = []
        self._changed = asyncio.Condition()
        self.sio.on("*", self._record)

    async def _record(self, event: str, *args: Any) -> None:
        async with self._changed:
            self.received.append((event, args[0] if args else None))
            if event == ChatEvent.MESSAGES and len(args) > 1:
                # Heart and viewer updates that rode along in a message frame.
                self.received.extend(args[1].items())
            self._changed.notify_all()

    async def connect(self) -> ChatClient:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        await self.sio.connect(
            self.url, headers=headers, transports=self.transports, wait_timeout=WAIT
        )
        return self

    async def emit(self, event: str, data: Any = None) -> None:
        await self.sio.emit(event, data)

    async def join(self, show_id: int) -> dict[str, Any]:
        start = len(self.received)
        await self.emit(ChatCommand.JOIN, {"show_id": show_id})
        joined: dict[str, Any] = await self.wait_for(ChatEvent.JOINED, after=start)
        return joined

    async def wait_for(
        self, event: str, where: Callable[[Any], bool] = lambda _: True, after: int = 0
    ) -> Any:
        def found() -> Any:
            for name, data in self.received[after:]:
                if name == event and where(data):
                    return data
            return None

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), WAIT)
        return found()

    def events(self, name: str) -> list[Any]:
        return [data for event, data in self.received if event == name]

    def texts(self) -> list[str]:
        return [m["text"] for batch in self.events(ChatEvent.MESSAGES) for m in batch]

    async def wait_text(self, text: str) -> dict[str, Any]:
        batch = await self.wait_for(ChatEvent.MESSAGES, lambda b: any(m["text"] == text for m in b))
        return next(m for m in batch if m["text"] == text)

    async def error(self, after: int = 0) -> dict[str, Any]:
        result: dict[str, Any] = await self.wait_for(ChatEvent.ERROR, after=after)
        return result

    async def close(self) -> None:
        await self.sio.disconnect()


Connect = Callable[..., Awaitable[ChatClient]]


@pytest.fixture
async def served(app: web.Application, aiohttp_client: AiohttpClient) -> AppClient:
    """The app on a loopback port (one server per app: reuse `served.server`)."""
    client: AppClient = await aiohttp_client(app)
    return client


@pytest.fixture
async def connect(served: AppClient, aiohttp_client: AiohttpClient) -> AsyncIterator[Connect]:
    """connect(user=None) → a joined-ready ChatClient signed in as `user` (or anonymous)."""
    clients: list[ChatClient] = []
    server_client = served

    async def make(user: User | None = None, *, locale: str | None = None) -> ChatClient:
        cookie = ""
        if user is not None:
            http: ServerClient = await aiohttp_client(server_client.server)
            await login_as(http, user)
            token = next(c.value for c in http.session.cookie_jar if c.key == SESSION_COOKIE)
            cookie = f"{SESSION_COOKIE}={token}"
        if locale:
            cookie = f"{cookie}; jt_lang={locale}" if cookie else f"jt_lang={locale}"
        client = ChatClient(str(server_client.make_url("/")), cookie)
        clients.append(client)
        return await client.connect()

    yield make
    for client in clients:
        await client.close()
