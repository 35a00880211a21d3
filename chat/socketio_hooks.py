"""Where chat leans on python-socketio and python-engineio beyond their documented API,
with a self-test. Nothing else in the code base touches a private name of either.

What we rely on:

* `AsyncServer._handle_event_internal(server, sid, eio_sid, data, namespace, id)` and
  `AsyncServer._trigger_event(event, namespace, *args)`: `ChatServer` refuses events
  named like the server's own (a client may not fake `connect`).
* `AsyncServer._send_eio_packet(eio_sid, packet)`: hands an encoded frame to one
  socket's queue; `chat.fanout` sends a room's frame to each member in one loop with it
  instead of the library's task per recipient.
* `AsyncRedisManager._handle_emit(message)`: where an emit published by another process
  arrives; `RedisEmitHook` routes it to the same loop.
* `AsyncRedisManager._publish`, `_redis_listen_with_retries`, `_listen`:
  `ResilientRedisManager` publishes and subscribes on the process's one shared, bounded
  Redis client and stays calm (one log line) while Redis is away.
* python-engineio's aiohttp `WebSocket(handler, server)` wrapper (its `_sock`), chosen
  through `AsyncServer._async["websocket"]`, and its handler being the Engine.IO
  socket's bound `_websocket_handler`; the socket's `queue`, `upgraded`, `upgrading`,
  `closing` and `closed`: `DirectSockets` keeps each open websocket's transport so that
  `chat.fanout` can write a room's pre-encoded frame straight to it (one `write` per
  recipient, no queue, no writer task woken) whenever nothing is queued ahead of it.

`self_test()` runs at start-up (the app factory's `_chat` context) so that an upgrade
that removed or reshaped any of them fails at once, naming the libraries and their
versions, instead of silently delivering nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator
from importlib.metadata import version
from typing import Any

import engineio
import socketio
from aiohttp import web
from engineio.async_drivers import aiohttp as eio_aiohttp
from engineio.async_socket import AsyncSocket as EioSocket

from server.redis_link import UNREACHABLE, RedisLink

# Only the server dispatches this name (ChatServer refuses it from clients).
UNKNOWN_EVENT = "__unknown__"

# name → the parameters we pass, in order (after self).
_RELIED_ON: dict[tuple[type[Any], str], tuple[str, ...]] = {
    (socketio.AsyncServer, "_handle_event_internal"): (
        "server",
        "sid",
        "eio_sid",
        "data",
        "namespace",
        "id",
    ),
    (socketio.AsyncServer, "_trigger_event"): ("event", "namespace"),
    (socketio.AsyncServer, "_send_eio_packet"): ("eio_sid", "eio_pkt"),
    (socketio.AsyncRedisManager, "_handle_emit"): ("message",),
    (socketio.AsyncRedisManager, "_publish"): ("data",),
    (socketio.AsyncRedisManager, "_redis_listen_with_retries"): (),
    (socketio.AsyncRedisManager, "_listen"): (),
    (eio_aiohttp.WebSocket, "__init__"): ("handler", "server"),
    (EioSocket, "_websocket_handler"): ("ws",),
}
# Attributes of an Engine.IO socket that `DirectSockets.write` reads.
_SOCKET_STATE = ("queue", "upgraded", "upgrading", "closing", "closed")


class SocketIOHooksBroken(RuntimeError):
    """The installed python-socketio or python-engineio lacks what chat relies on."""


def self_test() -> None:
    """Raise SocketIOHooksBroken, naming the versions, if anything we use is gone."""
    missing: list[str] = []
    for (cls, name), params in _RELIED_ON.items():
        found = getattr(cls, name, None)
        if not callable(found):
            missing.append(f"{cls.__name__}.{name}")
            continue
        actual = list(inspect.signature(found).parameters)[1:]
        if actual[: len(params)] != list(params):
            missing.append(f"{cls.__name__}.{name}({', '.join(params)})")
    if not isinstance(getattr(socketio.AsyncServer, "reserved_events", None), list):
        missing.append("AsyncServer.reserved_events")
    eio_server = engineio.AsyncServer(async_mode="aiohttp")
    if not isinstance(getattr(eio_server, "_async", None), dict) or (
        eio_server._async.get("websocket") is not eio_aiohttp.WebSocket
    ):
        missing.append('engineio AsyncServer._async["websocket"]')
    eio_socket = EioSocket(eio_server, "self-test")
    missing += [f"AsyncSocket.{a}" for a in _SOCKET_STATE if not hasattr(eio_socket, a)]
    if not isinstance(eio_socket.queue, asyncio.Queue):
        missing.append("AsyncSocket.queue (an asyncio.Queue)")
    if missing:
        raise SocketIOHooksBroken(
            f"python-socketio {version('python-socketio')} / python-engineio "
            f"{version('python-engineio')} lack what chat relies on: " + ", ".join(missing)
        )


async def send_eio_packet(server: socketio.AsyncServer, eio_sid: str, frame: Any) -> None:
    """Put one encoded Engine.IO packet on a socket's queue (its writer task sends it)."""
    await server._send_eio_packet(eio_sid, frame)


# A client this far behind gets its frames through its Engine.IO queue, whose writer
# waits for it, instead of growing its transport's buffer without bound.
BACKLOG_BYTES = 256 * 1024


class DirectSockets:
    """This process's open Engine.IO websockets by Engine.IO sid, with their transports."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[Any, asyncio.WriteTransport]] = {}

    def __len__(self) -> int:
        return len(self._open)

    def opened(self, eio_socket: Any, transport: asyncio.WriteTransport) -> None:
        self._open[eio_socket.sid] = (eio_socket, transport)

    def closed(self, eio_socket: Any) -> None:
        entry = self._open.get(eio_socket.sid)
        if entry is not None and entry[0] is eio_socket:
            del self._open[eio_socket.sid]

    def write(self, eio_sid: str, frame: bytes) -> bool:
        """Write a whole WebSocket frame straight to a socket's transport. False, and
        nothing written, when it must go through the socket's queue to keep its order:
        not (yet) a websocket, packets queued ahead of it, closing, or far behind. (A
        packet the writer task is still sending was written before it waits.)"""
        entry = self._open.get(eio_sid)
        if entry is None:
            return False
        sock, transport = entry
        if (
            not sock.upgraded
            or sock.upgrading
            or sock.closing
            or sock.closed
            or not sock.queue.empty()
            or transport.is_closing()
            or transport.get_write_buffer_size() > BACKLOG_BYTES
        ):
            return False
        transport.write(frame)
        return True


def _websocket_class(direct: DirectSockets) -> type[Any]:
    class DirectWebSocket(eio_aiohttp.WebSocket):  # type: ignore[misc]  # engineio is untyped
        """engine.io's aiohttp websocket, with its transport registered in `direct` while
        open, and without permessage-deflate: chat frames are small, and a compressed
        frame would have to be compressed again for every recipient."""

        async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
            request: web.Request = environ["aiohttp.request"]
            self._sock = web.WebSocketResponse(
                max_msg_size=self.server.max_http_buffer_size, compress=False
            )
            await self._sock.prepare(request)
            self.environ = environ
            eio_socket = self.handler.__self__
            transport = request.transport
            if transport is not None:
                direct.opened(eio_socket, transport)
            try:
                await self.handler(self)
            finally:
                direct.closed(eio_socket)
            return self._sock

    return DirectWebSocket


class ChatServer(socketio.AsyncServer):  # type: ignore[misc]  # python-socketio is untyped
    """Refuses events named like the server's own (a client may not fake `connect`), and
    keeps its websockets' transports in `direct_sockets` for `chat.fanout`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.direct_sockets = DirectSockets()
        # A copy: the driver table is shared by every engine.io server in the process.
        self.eio._async = {**self.eio._async, "websocket": _websocket_class(self.direct_sockets)}

    async def _handle_event_internal(
        self, server: Any, sid: str, eio_sid: str, data: Any, namespace: str, id: Any
    ) -> None:
        if (
            not data
            or not isinstance(data[0], str)
            or data[0] in self.reserved_events
            or data[0] == UNKNOWN_EVENT
        ):
            name = str(data[0])[:40] if data else ""
            await server._trigger_event(UNKNOWN_EVENT, namespace, sid, name)
            return
        await super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)


class ResilientRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]  # untyped
    """The Redis fan-out on the process's shared, bounded client, and calm when Redis
    goes away.

    The library makes a new client at every reconnection (a pool each, never closed)
    and logs every failed publish and every retry; here the one shared client is used,
    a message is still delivered to this process's own sockets (the library does that
    before publishing), publishing is tried at most once a second while Redis is away,
    the subscription is retried every second, and `RedisHealth` logs one line when
    Redis goes and one when it is back."""

    RETRY_SECONDS = 1.0

    def __init__(self, link: RedisLink, channel: str) -> None:
        super().__init__(link.url, channel=channel)
        self._link = link
        self.redis = link.client

    async def _publish(self, data: Any) -> Any:
        health = self._link.health
        if not health.worth_trying():
            return None  # delivered here already; other processes miss it while Redis is away
        try:
            result = await self._link.client.publish(self.channel, self.json.dumps(data))
        except UNREACHABLE as exc:
            health.failed(exc)
            return None
        health.answered()
        return result

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        while True:
            pubsub = self._link.client.pubsub(ignore_subscribe_messages=True)
            self.pubsub = pubsub
            try:
                await pubsub.subscribe(self.channel)
                self._link.health.answered()
                async for message in pubsub.listen():
                    yield message
            except UNREACHABLE as exc:
                self._link.health.failed(exc)
            finally:
                # Its connection goes back to the shared pool (a broken one is dropped).
                with contextlib.suppress(*UNREACHABLE):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(self.RETRY_SECONDS)


class RedisEmitHook(ResilientRedisManager):
    """A Redis manager that hands each emit from another process to `emit_here`; emits
    with acknowledgements or binary data keep the library's own path."""

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("callback") is not None or message.get("binary"):
            await super()._handle_emit(message)
            return
        await self.emit_here(message)

    async def emit_here(self, message: dict[str, Any]) -> None:
        raise NotImplementedError
