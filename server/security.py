"""Session cookies and CSRF tokens.

The session cookie carries a random token whose hash is a row in `user_sessions`.
CSRF uses the signed double-submit pattern: a random seed in an HttpOnly cookie, and a
token = HMAC(SECRET_KEY, seed) that pages put in every form (`_csrf`) and scripts send
as `X-CSRF-Token`. A new seed is issued at every sign-in and sign-out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server import keys
from server.accounts import service as accounts
from server.accounts.models import User
from server.errors import N_, DomainError
from server.notifications import service as notifications

SESSION_COOKIE = "jt_session"
CSRF_COOKIE = "jt_csrf"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Socket.IO authenticates in its connect handler and is limited to our origin there.
UNTRACKED_PREFIXES = ("/static/", "/media/", "/favicon", "/socket.io/")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class CsrfFailed(DomainError):
    template = N_("This form has expired. Reload the page and try again.")
    status = 403
    code = "csrf_failed"


def csrf_exempt(handler: Handler) -> Handler:
    """For endpoints authenticated by something other than the cookie (a Bearer stream
    key, a Stripe signature) or that change nothing for an anonymous caller."""
    handler.csrf_exempt = True  # type: ignore[attr-defined]
    return handler


def csrf_token_for(secret: str, seed: str) -> str:
    return hmac.new(secret.encode(), seed.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: web.Request) -> str:
    secret = request.app[keys.settings].secret_key.reveal()
    return csrf_token_for(secret, request[keys.request_csrf_seed])


def current_user(request: web.Request) -> User | None:
    return request.get(keys.request_user)


async def user_from_cookies(
    sessionmaker: async_sessionmaker[AsyncSession], cookies: dict[str, str]
) -> User | None:
    """The signed-in user for a cookie jar; also used by the Socket.IO connect handler."""
    token = cookies.get(SESSION_COOKIE)
    if not token:
        return None
    async with sessionmaker() as session:
        return await accounts.user_for_token(session, token)


def set_cookie(
    response: web.StreamResponse,
    request: web.Request,
    name: str,
    value: str,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="Lax",
        secure=request.app[keys.settings].secure_cookies,
        path="/",
    )


def start_session(response: web.StreamResponse, request: web.Request, token: str) -> None:
    days = request.app[keys.settings].session_days
    set_cookie(response, request, SESSION_COOKIE, token, max_age=days * 86400)
    set_cookie(response, request, CSRF_COOKIE, secrets.token_urlsafe(24))


def end_session(response: web.StreamResponse, request: web.Request) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")
    set_cookie(response, request, CSRF_COOKIE, secrets.token_urlsafe(24))


async def _check_csrf(request: web.Request, handler: Any) -> None:
    if request.method in SAFE_METHODS or getattr(handler, "csrf_exempt", False):
        return
    if request.match_info.http_exception is not None:
        return  # no such route or method: the 404 or 405 (with Allow) is the answer
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        value = form.get(CSRF_FIELD, "")
        sent = value if isinstance(value, str) else ""
    expected = csrf_token(request)
    if not sent or not hmac.compare_digest(sent, expected):
        raise CsrfFailed()


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(UNTRACKED_PREFIXES):
        return await handler(request)
    seed = request.cookies.get(CSRF_COOKIE)
    new_seed = None
    if not seed:
        seed = new_seed = secrets.token_urlsafe(24)
    request[keys.request_csrf_seed] = seed
    user = await user_from_cookies(request.app[keys.sessionmaker], dict(request.cookies))
    request[keys.request_user] = user
    if user is not None and request.method == "GET" and not request.path.startswith("/api/"):
        async with request.app[keys.sessionmaker]() as session:
            request[keys.request_unread] = await notifications.unread_count(session, user.id)
    await _check_csrf(request, _unwrap(handler))
    response = await handler(request)
    if new_seed is not None and CSRF_COOKIE not in response.cookies:
        set_cookie(response, request, CSRF_COOKIE, new_seed)
    return response


def _unwrap(handler: Any) -> Any:
    # Middlewares below this one wrap the route handler with functools.partial; the
    # exemption flag lives on the route handler itself.
    while hasattr(handler, "keywords") and "handler" in handler.keywords:
        handler = handler.keywords["handler"]
    return handler
