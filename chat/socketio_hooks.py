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

`self_test()` runs at start-up (the app factory's `_chat` context) so that an upgrade
that removed or reshaped any of them fails at once, naming the libraries and their
versions, instead of silently delivering nothing.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version
from typing import Any

import socketio

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
}


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
    if missing:
        raise SocketIOHooksBroken(
            f"python-socketio {version('python-socketio')} / python-engineio "
            f"{version('python-engineio')} lack what chat relies on: " + ", ".join(missing)
        )


async def send_eio_packet(server: socketio.AsyncServer, eio_sid: str, frame: Any) -> None:
    """Put one encoded Engine.IO packet on a socket's queue (its writer task sends it)."""
    await server._send_eio_packet(eio_sid, frame)


class ChatServer(socketio.AsyncServer):  # type: ignore[misc]  # python-socketio is untyped
    """Refuses events named like the server's own (a client may not fake `connect`)."""

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


class RedisEmitHook(socketio.AsyncRedisManager):  # type: ignore[misc]  # python-socketio is untyped
    """A Redis manager that hands each emit from another process to `emit_here`; emits
    with acknowledgements or binary data keep the library's own path."""

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("callback") is not None or message.get("binary"):
            await super()._handle_emit(message)
            return
        await self.emit_here(message)

    async def emit_here(self, message: dict[str, Any]) -> None:
        raise NotImplementedError
