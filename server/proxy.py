"""The shopper's own address when a balancer (deploy/haproxy.cfg) stands in front.

Behind HAProxy every request comes from the balancer's address; the sign-in limit per
address would then count every shopper together. A request from a trusted proxy
(TRUSTED_PROXIES) carries the client's address as the last entry of X-Forwarded-For,
the one that proxy added; entries before it were sent by the client and are not
trusted.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware


def forwarded_for(trusted: frozenset[str]) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.remote in trusted:
            forwarded = request.headers.get("X-Forwarded-For", "").rsplit(",", 1)[-1].strip()
            if forwarded:
                request = request.clone(remote=forwarded)
        return await handler(request)

    return middleware
