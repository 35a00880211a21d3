"""The edge: rendering pages, JSON answers, errors in the user's language, role checks."""

from __future__ import annotations

import json
import logging
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import aiohttp_jinja2
from aiohttp import web
from babel.support import NullTranslations

from server import keys
from server.accounts.models import Role, User
from server.errors import N_, DomainError, Unauthorized, WrongRole
from server.i18n import LOCALE_COOKIE, pick_locale
from server.inputs import read_json as read_json  # the one JSON body reader, for views
from server.limits import is_whole
from server.security import csrf_token, current_user

log = logging.getLogger("jangteo.http")
HEALTH_PATH = "/healthz"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def locale_of(request: web.Request) -> str:
    user = current_user(request)
    return pick_locale(
        request.cookies.get(LOCALE_COOKIE),
        user.locale if user else None,
        request.app[keys.settings].default_locale,
    )


def translations(request: web.Request) -> NullTranslations:
    return request.app[keys.catalogs].get(locale_of(request))


def gettext(request: web.Request, message: str) -> str:
    return translations(request).gettext(message)


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def ice_servers_for(request: web.Request) -> list[dict[str, Any]]:
    """The STUN/TURN servers this browser or encoder may use, with fresh TURN credentials
    labelled by who asked (for the relay's log)."""
    user = current_user(request)
    label = f"user{user.id}" if user is not None else "guest"
    return request.app[keys.ice_servers].for_peer(label)


def wants_json(request: web.Request) -> bool:
    """API calls, scripts asking for JSON, and WHIP/WHEP clients (OBS reads a JSON
    error, never an HTML page), also when the edge refuses before their handler runs."""
    return (
        is_api(request)
        or "application/json" in request.headers.get("Accept", "")
        or request.content_type == "application/sdp"
        or getattr(request.match_info.handler, "json_errors", False)
    )


def base_context(request: web.Request) -> dict[str, Any]:
    locale = locale_of(request)
    return {
        "ice_servers": ice_servers_for(request),
        "request": request,
        "user": current_user(request),
        "csrf_token": csrf_token(request) if keys.request_csrf_seed in request else "",
        "locale": locale,
        "i18n": request.app[keys.catalogs].get(locale),
        "settings": request.app[keys.settings],
        "flash": request.query.get("flash", ""),
        "unread": request.get(keys.request_unread, 0),
    }


def render(
    request: web.Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    ctx = base_context(request)
    if context:
        ctx.update(context)
    return aiohttp_jinja2.render_template(template, request, ctx, status=status)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        data,
        status=status,
        headers=headers,
        dumps=lambda obj: json.dumps(obj, ensure_ascii=False, default=str),
    )


def error_body(request: web.Request, code: str, message: str, field: str = "") -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def require_user(request: web.Request, *roles: Role) -> User:
    """The signed-in, active user with one of `roles` (any role if none given)."""
    user = current_user(request)
    if user is None:
        raise Unauthorized()
    if roles and user.role not in roles:
        raise WrongRole(roles=[r.value for r in roles])
    return user


def managed_store_id(request: web.Request, user: User) -> int:
    """The store a merchant page is about: the merchant's own; an operator picks one
    with ?store=. Anyone else is refused."""
    if user.role is Role.MERCHANT and user.store_id is not None:
        return user.store_id
    raw = request.query.get("store", "")
    if user.role is Role.OPERATOR and is_whole(raw):
        return int(raw)
    raise WrongRole(roles=[Role.MERCHANT.value])


# Longer than any page's own address with its query; a longer `next` is not ours.
MAX_NEXT_LENGTH = 2000
_PROBE = "https://jangteo.invalid"


def _plain_path(value: str, *, spaces: bool = False) -> bool:
    if not value.startswith("/") or value.startswith("//"):
        return False
    # Browsers read a backslash as "/" and drop tabs and newlines, so "/<backslash>evil"
    # and "/<tab>/evil" are "//evil": another host.
    if "\\" in value or any(
        unicodedata.category(ch)[0] == "C" or (ch.isspace() and not spaces) for ch in value
    ):
        return False
    parts = urlsplit(urljoin(_PROBE + "/", value))
    return f"{parts.scheme}://{parts.netloc}" == _PROBE


def safe_next(value: str) -> str:
    """Where to send the browser after a form: a path on this site, else the home page.
    Written as it is, it must be a plain path (no whitespace, controls or backslashes);
    percent-decoded (a proxy or a lenient client may decode "%5C" or "%09" before a
    browser sees it) it must still be one, though an encoded space may stay a space."""
    if (
        len(value) <= MAX_NEXT_LENGTH
        and _plain_path(value)
        and _plain_path(unquote(value), spaces=True)
    ):
        return value
    return "/"


def redirect(location: str) -> web.Response:
    """A 303 response (not an exception) so callers can set cookies on it."""
    return web.Response(status=303, headers={"Location": location})


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except DomainError as exc:
        status = exc.status
        return _domain_error_response(request, exc)
    except web.HTTPException as exc:
        status = exc.status
        if exc.status in (404, 405, 413) and not (exc.text or "").startswith("{"):
            response = _plain_error(request, exc.status)
            if "Allow" in exc.headers:  # a 405 names the methods that are allowed
                response.headers["Allow"] = exc.headers["Allow"]
            return response
        raise
    except Exception:
        log.exception("unhandled error", extra={"path": request.path})
        status = 500
        return _plain_error(request, 500)
    finally:
        # A balancer asks /healthz every few seconds; only a failing answer is news.
        if not (status == 200 and request.path == HEALTH_PATH):
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


_PLAIN_MESSAGES = {
    401: N_("Please sign in first."),
    404: N_("The page you are looking for does not exist."),
    405: N_("This method is not allowed here."),
    413: N_("The request is too large."),
    500: N_("Something went wrong on our side. Please try again."),
}


def _plain_error(request: web.Request, status: int) -> web.Response:
    message = gettext(request, _PLAIN_MESSAGES.get(status, _PLAIN_MESSAGES[500]))
    if wants_json(request):
        return json_response(error_body(request, f"http_{status}", message), status=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def _domain_error_response(request: web.Request, exc: DomainError) -> web.StreamResponse:
    message = exc.translate(translations(request).gettext)
    field = getattr(exc, "field", "")
    if wants_json(request):
        headers = None
        if exc.code == "too_many_attempts":
            headers = {"Retry-After": str(exc.params.get("seconds", 60))}
        return json_response(
            error_body(request, exc.code, message, field), status=exc.status, headers=headers
        )
    if isinstance(exc, Unauthorized) and request.method == "GET":
        # Encoded, so that the page's own query (`?t=23&x=1`) comes back whole.
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='/')}")
    return render(
        request, "error.html", {"status": exc.status, "message": message}, status=exc.status
    )


def form_str(form: Any, name: str, default: str = "") -> str:
    value = form.get(name, default)
    return value if isinstance(value, str) else default


def form_ints(form: Any, name: str) -> list[int]:
    values: Iterable[Any] = form.getall(name, []) if hasattr(form, "getall") else []
    out: list[int] = []
    for value in values:
        if isinstance(value, str) and is_whole(value):
            out.append(int(value))
    return out
