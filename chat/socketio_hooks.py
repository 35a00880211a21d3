"""Where chat leans on python-socketio beyond its documented API. Nothing else in the
code base touches a private name of python-socketio or python-engineio."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import socketio

from server.redis_link import UNREACHABLE, RedisLink

# Only the server dispatches this name (ChatServer refuses it from clients).
UNKNOWN_EVENT = "__unknown__"


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


# What ResilientRedisManager overrides; the self-test names the one an upgrade removed.
_REDIS_MANAGER_HOOKS = ("_publish", "_redis_listen_with_retries", "_handle_emit", "_listen")


def self_test() -> None:
    """Fail the start, naming python-socketio's version, if a hooked name is gone."""
    missing = [
        name for name in _REDIS_MANAGER_HOOKS if not hasattr(socketio.AsyncRedisManager, name)
    ]
    if missing or not hasattr(socketio.AsyncServer, "_handle_event_internal"):
        raise RuntimeError(
            f"python-socketio {socketio.__version__} lacks {missing or '_handle_event_internal'}"
            ": chat/socketio_hooks.py must follow it"
        )


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
