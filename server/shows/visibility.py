"""Every route about one show answers only those who may see it.

The rule itself is `service.may_view`; this middleware applies it to every route whose
URL names a show (`{show_id}`), so a route added later cannot forget it. A route that
authenticates by other means (WHIP's stream key) or must answer in its own format
(WHIP/WHEP answer JSON to encoders) is marked `checks_visibility_itself` and calls
`service.get_visible_show` or `service.may_view` itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from server import keys
from server.security import current_user
from server.shows import service

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SHOW_ID = "show_id"
_MARK = "checks_show_visibility"


def checks_visibility_itself(handler: Handler) -> Handler:
    handler.checks_show_visibility = True  # type: ignore[attr-defined]
    return handler


def _route_handler(request: web.Request) -> Any:
    return request.match_info.handler


@web.middleware
async def show_visibility_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    raw = request.match_info.get(SHOW_ID)
    if raw is not None and not getattr(_route_handler(request), _MARK, False):
        async with request.app[keys.sessionmaker]() as session:
            await service.check_visible(session, current_user(request), int(raw))
    return await handler(request)
