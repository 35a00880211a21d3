"""The Socket.IO server chat runs on: same-origin only, small frames, and with
`REDIS_URL` a Redis manager so every server process reaches every room."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import socketio

from chat import socketio_hooks
from chat.fanout import FanoutManager, RedisFanoutManager
from chat.socketio_hooks import ChatServer
from chat.state import ChatState, MemoryState, RedisState, ResilientState
from server.redis_link import RedisLink
from server.settings import Settings

# Socket.IO frames are small: a message is at most 200 characters.
MAX_FRAME_BYTES = 16 * 1024


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def same_origin_only(settings: Settings) -> Any:
    """Accept the public URL's origin, and the origin the request itself was sent to
    (tests and LAN use a different host:port than the configured public URL)."""
    public = _origin(settings.public_url)

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True  # not a browser: nothing cross-site to protect against
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin in (public, own)

    return allowed


def make_chat_server(settings: Settings, redis: RedisLink | None) -> ChatServer:
    """With `redis` (the process's shared link), rooms reach every server process."""
    socketio_hooks.self_test()
    manager: socketio.AsyncManager = FanoutManager()
    if redis is not None:
        manager = RedisFanoutManager(redis, channel=f"{settings.chat_redis_prefix}socketio")
    # async_handlers=False: a socket's events are handled one after the other, so one
    # sender's messages keep their order (other sockets are not held up).
    return ChatServer(
        async_mode="aiohttp",
        client_manager=manager,
        async_handlers=False,
        cors_allowed_origins=same_origin_only(settings),
        max_http_buffer_size=MAX_FRAME_BYTES,
        logger=False,
        engineio_logger=False,
    )


def make_chat_state(settings: Settings, redis: RedisLink | None) -> ChatState:
    """Shared counters and room state: in memory for one process, Redis for several
    (falling back to this process's own memory while Redis is away)."""
    if redis is not None:
        return ResilientState(
            RedisState(redis.client, settings.chat_redis_prefix), MemoryState(), redis.health
        )
    return MemoryState()
