"""The credential one node shows another when it pulls a show (an edge's internal WHEP
subscription to the origin).

Only processes that hold SECRET_KEY can make one: an HMAC over the show id and an
expiry, with a key derived from SECRET_KEY for this one purpose (so a session cookie's
signature can never pass for it, nor the reverse). A token names one show and lasts a
minute: one seen in a log cannot be used for another show or later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

TOKEN_SECONDS = 60
_PURPOSE = b"jangteo-live node pull v1"


class NodeTokens:
    def __init__(self, secret_key: str, clock: Callable[[], float] = time.time) -> None:
        self._key = hmac.new(secret_key.encode(), _PURPOSE, hashlib.sha256).digest()
        self._clock = clock

    def _signature(self, show_id: int, expires: int) -> str:
        message = f"{show_id}.{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def issue(self, show_id: int) -> str:
        expires = int(self._clock()) + TOKEN_SECONDS
        return f"{expires}.{self._signature(show_id, expires)}"

    def valid(self, token: str, show_id: int) -> bool:
        expires_text, _, signature = token.strip().partition(".")
        if not expires_text.isdigit() or len(expires_text) > 12:
            return False
        expires = int(expires_text)
        if expires < self._clock() or expires > self._clock() + TOKEN_SECONDS + 5:
            return False
        return hmac.compare_digest(signature, self._signature(show_id, expires))
