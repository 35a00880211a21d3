"""Every typed application key, in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

if TYPE_CHECKING:
    from server.accounts.models import User
    from server.accounts.ratelimit import LoginRateLimiter
    from server.events import EventPublisher
    from server.i18n import Catalogs
    from server.settings import Settings

settings: web.AppKey[Settings] = web.AppKey("settings")
engine = web.AppKey("engine", AsyncEngine)
sessionmaker: web.AppKey[async_sessionmaker[AsyncSession]] = web.AppKey("sessionmaker")
catalogs: web.AppKey[Catalogs] = web.AppKey("catalogs")
login_limiter: web.AppKey[LoginRateLimiter] = web.AppKey("login_limiter")
events: web.AppKey[EventPublisher] = web.AppKey("events")
# Called after a person moves a show (show id, action: "start", "end", "cancel"), so a
# package that keeps live state for shows (streaming) hears of it whatever page did it.
show_listeners: web.AppKey[list[Callable[[int, str], Awaitable[None]]]] = web.AppKey(
    "show_listeners"
)

# Per-request values set by the session middleware.
request_user: web.RequestKey[User | None] = web.RequestKey("user")
request_csrf_seed = web.RequestKey("csrf_seed", str)
request_unread = web.RequestKey("unread_notifications", int)
