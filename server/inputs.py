"""Reading what a request carries, at the edge, before any handler sees it.

Bad input is the caller's mistake and gets a 4xx with a message in the caller's
language, never a 5xx from deep inside a driver. So, for every request:

- route ids (`{show_id:\\d+}`) must be 1..MAX_ID, or the answer is 404: a larger number
  names nothing, and would overflow SQLite's INTEGER or PostgreSQL's int4;
- every text value (path, query, form field, JSON string) must be storable: no NUL and
  no lone UTF-16 surrogate (neither can be encoded for the database), and no longer
  than its field's limit (`server/limits.py`);
- a form body that cannot be parsed (multipart without a boundary, a broken part) is
  a 400, read here once; handlers then get the parsed form from aiohttp's cache;
- a JSON body is a small object of bounded size and depth, read with `read_json`, and
  its values are taken with the strict accessors below (`"1"` is not a number).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from server.errors import N_, BadRequest, DomainError, Invalid
from server.limits import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    MAX_ID,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    text_limit,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Socket.IO reads its own bodies; static files and media take no input.
UNCHECKED_PREFIXES = ("/static/", "/media/", "/socket.io/")
# A key of a JSON object or a form names a field: short, whatever the field holds.
MAX_KEY_LENGTH = 100


class BadText(BadRequest):
    template = N_(
        "This text contains characters that cannot be stored (such as a NUL character "
        "or a broken emoji)."
    )
    code = "bad_text"


class TextTooLong(BadRequest):
    template = N_("This text is too long: at most %(max)d characters.")
    code = "too_long"


class BadBody(BadRequest):
    template = N_("The request body could not be read. Reload the page and try again.")
    code = "bad_body"


class BadJson(BadRequest):
    template = N_("The request body must be a JSON object.")
    code = "bad_json"


class BodyTooLarge(DomainError):
    template = N_("The request is too large.")
    status = 413
    code = "too_large"


class WrongType(BadRequest):
    code = "wrong_type"


class OutOfRange(Invalid):
    pass


# --- text ---------------------------------------------------------------------------------


def check_text(value: str, field: str, limit: int | None = None) -> str:
    """`value` if it can be stored and is within the field's length; else a 400."""
    if "\x00" in value or (not value.isascii() and _has_surrogate(value)):
        raise BadText(field=field)
    most = text_limit(field) if limit is None else limit
    # A browser counts a textarea's line break as one character against maxlength and
    # sends it as two (CRLF): count it as one here too.
    if len(value) > most and len(value) - value.count("\r\n") > most:
        raise TextTooLong(field=field, max=most)
    return value


def _has_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# --- ids and numbers ---------------------------------------------------------------------


def route_id(request: web.Request, name: str) -> int:
    """A route's numeric id; the middleware has already refused one out of range."""
    return int(request.match_info[name])


def _check_route(request: web.Request) -> None:
    resource = request.match_info.route.resource
    pattern = resource.get_info().get("pattern") if resource is not None else None
    source = pattern.pattern if isinstance(pattern, re.Pattern) else ""
    for name, value in request.match_info.items():
        if f"(?P<{name}>\\d+)" in source and not (value.isdecimal() and 1 <= int(value) <= MAX_ID):
            raise web.HTTPNotFound()
        if "\x00" in value or _has_surrogate(value):
            raise web.HTTPNotFound()


def strict_int(raw: object, field: str, low: int, high: int) -> int:
    """A whole number of JSON type integer within [low, high]: a string, a float or a
    boolean is the wrong type (400); a number out of range is invalid (422)."""
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise WrongType(
            N_("Enter a whole number from %(low)d to %(high)d."), field=field, low=low, high=high
        )
    if not low <= raw <= high:
        raise OutOfRange(
            N_("Enter a whole number from %(low)d to %(high)d."), field=field, low=low, high=high
        )
    return raw


def strict_id(raw: object, field: str) -> int:
    return strict_int(raw, field, 1, MAX_ID)


def strict_ids(raw: object, field: str) -> list[int]:
    if not isinstance(raw, list):
        raise WrongType(N_("This must be a list of ids."), field=field)
    return [strict_id(item, field) for item in raw]


def strict_text(data: dict[str, Any], field: str, default: str = "") -> str:
    """A JSON string (already checked by `read_json`), or `default` when absent."""
    raw = data.get(field, default)
    if raw is None:
        return default
    if not isinstance(raw, str):
        raise WrongType(N_("This must be text."), field=field)
    return raw


# --- dates --------------------------------------------------------------------------------


def within_years(value: dt.date) -> bool:
    """Whether a date (or time) is one a person can mean; others overflow arithmetic."""
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


def refuse_date(field: str) -> NoReturn:
    raise OutOfRange(
        N_("Choose a date between %(low)d and %(high)d."),
        field=field,
        low=EARLIEST_YEAR,
        high=LATEST_YEAR,
    )


# --- bodies -------------------------------------------------------------------------------


def _no_constants(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request's JSON object: at most MAX_JSON_BYTES, MAX_JSON_DEPTH levels, every
    string storable and within its field's limit."""
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise BodyTooLarge()
    raw = await request.read()
    if len(raw) > MAX_JSON_BYTES:
        raise BodyTooLarge()
    try:
        # RecursionError: a body nested thousands deep; ValueError: not JSON, not UTF-8,
        # NaN, or an integer of thousands of digits.
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise BadJson() from None
    if not isinstance(data, dict):
        raise BadJson()
    _check_tree(data)
    return data


def _check_tree(root: dict[str, Any]) -> None:
    stack: list[tuple[Any, str, int]] = [(root, "", 1)]
    while stack:
        value, field, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadJson()
        if isinstance(value, str):
            check_text(value, field)
        elif isinstance(value, dict):
            for key, item in value.items():
                check_text(key, key, MAX_KEY_LENGTH)
                stack.append((item, key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, field, depth + 1) for item in value)


async def _read_form(request: web.Request) -> None:
    try:
        form = await request.post()
    except web.HTTPException:
        raise  # 413 from aiohttp's own size limit
    except (ValueError, LookupError, AssertionError, HttpProcessingError):
        # No boundary, a broken part, an unknown charset, bytes that are not text.
        raise BadBody() from None
    for key, value in form.items():
        check_text(key, key, MAX_KEY_LENGTH)
        if isinstance(value, str):
            check_text(value, key)


@web.middleware
async def input_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(UNCHECKED_PREFIXES):
        return await handler(request)
    _check_route(request)
    for key, value in request.query.items():
        check_text(key, key, MAX_KEY_LENGTH)
        check_text(value, key)
    if request.method not in SAFE_METHODS and request.content_type in FORM_TYPES:
        await _read_form(request)
    return await handler(request)
