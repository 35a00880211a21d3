"""How the text of an environment variable becomes a setting's value.

Each `Cast` says what the text must look like in words that finish the sentence
"PORT must be …", so a bad value is refused at start with the variable's name and
what was expected.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")


class SettingsError(ValueError):
    """The configuration cannot be used; the message names the variable."""


class Secret:
    """A string that prints as stars."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _always(raw: str) -> bool:
    return True


def _never(raw: str) -> bool:
    return False


def _without_credentials(raw: str) -> bool:
    return "@" not in raw


@dataclass(frozen=True)
class Cast(Generic[T]):
    """Reads a variable's text; `parse` raises ValueError when the text does not fit."""

    expected: str
    parse: Callable[[str], T]
    # Whether a refused text may be repeated in the error message: never a secret's,
    # nor a URL's that may hold a password.
    may_show: Callable[[str], bool] = _always


def describe(value: object) -> str:
    """A default as the README's table shows it."""
    if isinstance(value, Secret):
        return "empty" if not value else "set"
    if value == "" or value == ():
        return "empty"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`"


TEXT = Cast("text", str)
SECRET = Cast("text", Secret, _never)
PATH = Cast("a folder path", Path)


def choice(*options: str) -> Cast[str]:
    def parse(raw: str) -> str:
        if raw not in options:
            raise ValueError(raw)
        return raw

    return Cast(f"one of {', '.join(options)}", parse)


def _log_level(raw: str) -> str:
    if raw.upper() not in LOG_LEVEL_NAMES:
        raise ValueError(raw)
    return raw.upper()


LOG_LEVEL_NAMES = ("DEBUG", "INFO", "WARNING", "ERROR")
# A logging level's name, in any case (`info` is `INFO`).
LOG_LEVEL = Cast(f"one of {', '.join(LOG_LEVEL_NAMES)}", _log_level)


def whole_number(low: int, high: int | None = None) -> Cast[int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if value < low or (high is not None and value > high):
            raise ValueError(raw)
        return value

    if high is None:
        return Cast(f"a whole number of at least {low}", parse)
    return Cast(f"a whole number from {low} to {high}", parse)


def number(*, at_least: float | None = None, above: float | None = None) -> Cast[float]:
    def parse(raw: str) -> float:
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError(raw)
        if (at_least is not None and value < at_least) or (above is not None and value <= above):
            raise ValueError(raw)
        return value

    if above is not None:
        return Cast(f"a number greater than {above:g}", parse)
    return Cast(f"a number of at least {at_least:g}" if at_least is not None else "a number", parse)


def _truth(raw: str) -> bool:
    words = {"true": True, "1": True, "yes": True, "on": True}
    words |= {"false": False, "0": False, "no": False, "off": False}
    value = words.get(raw.lower())
    if value is None:
        raise ValueError(raw)
    return value


BOOLEAN = Cast("true or false", _truth)


def _scheme_list(schemes: tuple[str, ...]) -> str:
    named = [f"{s}://" for s in schemes]
    return ", ".join(named[:-1]) + f" or {named[-1]}" if len(named) > 1 else named[0]


def url(*schemes: str) -> Cast[str]:
    def parse(raw: str) -> str:
        scheme, sep, rest = raw.partition("://")
        if scheme not in schemes or not sep or not rest:
            raise ValueError(raw)
        return raw

    article = "an" if schemes[0][0] in "aeiou" else "a"
    return Cast(f"{article} {_scheme_list(schemes)} URL", parse, _without_credentials)


def _web_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(raw)
    return raw.rstrip("/")


WEB_URL = Cast("an http:// or https:// URL", _web_url, _without_credentials)

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def _database_url(raw: str) -> str:
    """Accept the usual URL spellings and pick the async driver for them."""
    scheme, sep, rest = raw.partition("://")
    if scheme not in _DRIVERS or not sep or not rest:
        raise ValueError(raw)
    return f"{_DRIVERS[scheme]}://{rest}"


DATABASE_URL = Cast("a sqlite:/// or postgresql:// URL", _database_url, _without_credentials)


def _smtp_url(raw: str) -> Secret:
    parts = urlsplit(raw)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("no host")
    _ = parts.port  # raises ValueError for a port that is not a number
    return Secret(raw)


SMTP_URL = Cast(
    "an smtp:// or smtps:// URL with a host, like smtp://user:pass@host:587?from=addr",
    _smtp_url,
    _never,
)


def _ice_servers(raw: str) -> tuple[dict[str, Any], ...]:
    servers = json.loads(raw)
    if not isinstance(servers, list) or not all(
        isinstance(s, dict) and "urls" in s for s in servers
    ):
        raise ValueError(raw)
    return tuple(servers)


ICE_SERVER_LIST = Cast('a JSON list of {"urls": …} objects', _ice_servers)


def _turn_urls(raw: str) -> tuple[str, ...]:
    urls = tuple(u.strip() for u in raw.split(",") if u.strip())
    if not all(u.startswith(("turn:", "turns:")) for u in urls):
        raise ValueError(raw)
    return urls


TURN_URL_LIST = Cast("a comma-separated list of turn: or turns: URLs", _turn_urls)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(raw: str) -> tuple[Network, ...]:
    # strict=False: "10.0.0.1/8" names the same network as "10.0.0.0/8".
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(","))


NETWORK_LIST = Cast(
    "addresses or networks separated by commas, like 127.0.0.1,10.0.0.0/8", _networks
)
