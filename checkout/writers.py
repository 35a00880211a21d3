"""One reservation at a time per product in this process.

In a flash sale hundreds of shoppers press buy in the same second for one product.
Letting them all open a write transaction at once only makes them queue inside the
database (SQLite's busy handler polls its one write lock with sleeps that grow to
100 ms; PostgreSQL's row lock holds each behind the previous commit) while each holds a
pooled connection. Queued here instead, on an asyncio lock, the waiting costs nothing,
and the one whose turn comes asks the sold-out memory first: once the last unit has
gone, the rest of the queue is answered without touching the database. The conditional
UPDATEs stay the guard (other processes, other products of the same order).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable


class ProductWriters:
    def __init__(self) -> None:
        # product id -> (its lock, how many hold or wait for it); dropped when unused.
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def holding(self, product_ids: Iterable[int]) -> AsyncIterator[None]:
        """Take the locks of every product of an order, in id order (no deadlock between
        two orders that share products)."""
        ids = sorted(set(product_ids))
        for product_id in ids:
            lock, users = self._locks.get(product_id, (asyncio.Lock(), 0))
            self._locks[product_id] = (lock, users + 1)
        taken: list[asyncio.Lock] = []
        try:
            for product_id in ids:
                lock = self._locks[product_id][0]
                await lock.acquire()
                taken.append(lock)
            yield
        finally:
            for lock in taken:
                lock.release()
            for product_id in ids:
                lock, users = self._locks[product_id]
                if users <= 1:
                    del self._locks[product_id]
                else:
                    self._locks[product_id] = (lock, users - 1)

    def __len__(self) -> int:
        """Products with a reservation running or waiting (the tests read it)."""
        return len(self._locks)
