"""ICE servers for each peer, with time-limited TURN credentials.

TURN relays media for viewers and publishers whose network blocks direct UDP (office
and mobile networks, symmetric NATs). Fixed TURN passwords in the pages would let anyone
relay through our server for ever, so the server hands out credentials that expire,
following the "TURN REST API" shared-secret scheme coturn implements
(`use-auth-secret` / `static-auth-secret`): the username is `<expiry unix time>:<label>`
and the password is base64(HMAC-SHA1(secret, username)). coturn checks both without
asking us.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any


def turn_password(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class IceServers:
    """The STUN/TURN servers of the settings, plus the TURN relay with fresh credentials."""

    fixed: tuple[dict[str, Any], ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = ""
    credential_seconds: int = 12 * 3600

    def for_peer(self, label: str, now: float | None = None) -> list[dict[str, Any]]:
        """What one page or encoder may use; `label` names it in the TURN server's log."""
        servers = list(self.fixed)
        if self.turn_urls and self.turn_secret:
            expiry = int(now if now is not None else time.time()) + self.credential_seconds
            username = f"{expiry}:{label}"
            servers.append(
                {
                    "urls": list(self.turn_urls),
                    "username": username,
                    "credential": turn_password(self.turn_secret, username),
                }
            )
        return servers
