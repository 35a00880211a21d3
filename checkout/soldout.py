"""A short memory of what just sold out, so that the crowd still tapping "buy" after the
last unit is answered without a database round trip (on SQLite every transaction queues
for the one write lock; on PostgreSQL for a pooled connection).

Entries live `ttl` seconds and are dropped as soon as units of the product come back
(a released reservation, a refund): the database stays the only judge of a sale.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class SoldOutMemo:
    def __init__(self, ttl: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._until: dict[tuple[int, int], tuple[float, str]] = {}

    def remember(self, show_id: int, product_id: int, name: str) -> None:
        self._until[(show_id, product_id)] = (self._clock() + self.ttl, name)

    def sold_out_name(self, show_id: int, product_id: int) -> str | None:
        """The product's name if it sold out a moment ago, else None."""
        entry = self._until.get((show_id, product_id))
        if entry is None:
            return None
        if entry[0] < self._clock():
            del self._until[(show_id, product_id)]
            return None
        return entry[1]

    def forget(self, product_id: int) -> None:
        for key in [k for k in self._until if k[1] == product_id]:
            del self._until[key]
