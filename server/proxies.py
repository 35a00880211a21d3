"""Who is really asking: the client's address behind trusted reverse proxies.

`X-Forwarded-For` is written by whoever sends the request, so it is believed only when
the connecting peer is one of `TRUSTED_PROXIES`, and only as far back as trusted
proxies go: walking the list from the right (the entry the last proxy appended), the
first address that is not a trusted proxy is the client. Anything further left was
written by the client itself and could be anything.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from aiohttp import web

from server import keys
from server.settings_casts import Network

FORWARDED_FOR = "X-Forwarded-For"
UNKNOWN = "unknown"


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[Network]
) -> str:
    """The client's address, given the connecting peer's and the X-Forwarded-For headers."""
    address = peer or UNKNOWN
    if not trusted or not _is_trusted(address, trusted):
        return address
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    for hop in reversed([h for h in hops if h]):
        address = hop
        if not _is_trusted(hop, trusted):
            break
    return address


def request_client_address(request: web.Request) -> str:
    return client_address(
        request.remote,
        request.headers.getall(FORWARDED_FOR, []),
        request.app[keys.settings].trusted_proxies,
    )
