"""Live chat: Socket.IO rooms per show, hearts, viewer counts, Q&A and moderation.

`setup(app)` attaches a python-socketio server to the aiohttp app (path /socket.io/),
keeps the hub under `chat.keys.hub`, and installs it as the app's event publisher so
checkout and streaming reach a show's viewers without importing chat.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import socketio
from aiohttp import web

from chat import keys as chat_keys
from chat import views
from chat.dashboard import routes as dashboard_routes
from chat.fanout import FanoutManager, RedisFanoutManager
from chat.hub import ChatHub, ChatOptions
from chat.namespace import ChatNamespace, ChatServer
from chat.state import ChatState, MemoryState, RedisState
from server import keys as core_keys
from server.accounts.models import User
from server.analytics.appkeys import presence as presence_key
from server.security import user_from_cookies
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


def setup(app: web.Application) -> None:
    settings = app[core_keys.settings]
    options = ChatOptions(
        redis_prefix=settings.chat_redis_prefix,
        batch_seconds=settings.chat_batch_ms / 1000,
    )
    manager: socketio.AsyncManager = FanoutManager()
    state: ChatState = MemoryState()
    if settings.redis_url:
        manager = RedisFanoutManager(settings.redis_url, channel=f"{options.redis_prefix}socketio")
        state = RedisState(settings.redis_url, options.redis_prefix)
    # async_handlers=False: a socket's events are handled one after the other, so one
    # sender's messages keep their order (other sockets are not held up).
    sio = ChatServer(
        async_mode="aiohttp",
        client_manager=manager,
        async_handlers=False,
        cors_allowed_origins=same_origin_only(settings),
        max_http_buffer_size=MAX_FRAME_BYTES,
        logger=False,
        engineio_logger=False,
    )
    hub = ChatHub(sio, state, options, lambda: app[core_keys.sessionmaker])

    async def cookie_user(cookies: dict[str, str]) -> User | None:
        return await user_from_cookies(app, cookies)

    sio.register_namespace(
        ChatNamespace(
            hub,
            cookie_user,
            lambda: app[core_keys.sessionmaker],
            app[core_keys.catalogs],
            settings,
            presence=lambda: app.get(presence_key),
        )
    )
    sio.attach(app)
    app.router.add_routes(views.routes)
    app.router.add_routes(dashboard_routes)
    app[chat_keys.hub] = hub
    app[core_keys.events] = hub
    app.cleanup_ctx.append(_chat_context)


async def _chat_context(app: web.Application) -> AsyncIterator[None]:
    hub = app[chat_keys.hub]
    hub.start()
    # Everything made while starting (modules, mappers, templates, the engine) lives as
    # long as the process; freezing it keeps the collector from rescanning it in every
    # full collection, pauses that otherwise stall delivery (bench/chat.py: p99 ~400 →
    # ~350 ms). Only cyclic garbage made before this line could be kept: none to speak of.
    gc.freeze()
    yield
    await hub.stop()
