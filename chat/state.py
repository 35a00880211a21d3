"""Short-lived shared chat state: viewers, rate limits, slow mode, heart totals.

Two implementations of the same small set of primitives: in memory for one process, and
in Redis when several processes serve the same shows (the counts and limits must then
be the same whichever process a viewer landed on). Keys live under a prefix so several
deployments (or test runs) can share one Redis.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import redis.asyncio as aioredis

# A process refreshes its viewers' entries well within this; a crashed process's
# viewers drop out of the count after it.
VIEWER_TTL_SECONDS = 45.0


class ChatState(Protocol):
    async def hit(self, key: str, window_ms: int) -> int:
        """Count one more event in a fixed window starting at the first; the count."""

    async def claim(self, key: str, ttl_ms: int) -> bool:
        """Take `key` for `ttl_ms` if nobody holds it."""

    async def remaining_ms(self, key: str) -> int:
        """How long `key` is still held (0 when free)."""

    async def incr(self, key: str, amount: int) -> int: ...

    async def get_int(self, key: str) -> int: ...

    async def swap(self, key: str, value: int) -> int | None:
        """Store `value`, returning what was there."""

    async def add_viewer(self, show_id: int, sid: str) -> None: ...

    async def remove_viewer(self, show_id: int, sid: str) -> None: ...

    async def refresh_viewers(self, show_id: int, sids: Iterable[str]) -> None: ...

    async def viewer_count(self, show_id: int) -> int: ...

    async def close(self) -> None: ...


class MemoryState:
    def __init__(self) -> None:
        self._values: dict[str, int] = {}
        self._expiry: dict[str, float] = {}
        self._viewers: dict[int, set[str]] = {}

    def _live(self, key: str) -> bool:
        expires = self._expiry.get(key)
        if expires is not None and expires <= time.monotonic():
            self._values.pop(key, None)
            self._expiry.pop(key, None)
        return key in self._values

    async def hit(self, key: str, window_ms: int) -> int:
        if not self._live(key):
            self._values[key] = 0
            self._expiry[key] = time.monotonic() + window_ms / 1000
        self._values[key] += 1
        return self._values[key]

    async def claim(self, key: str, ttl_ms: int) -> bool:
        if self._live(key):
            return False
        self._values[key] = 1
        self._expiry[key] = time.monotonic() + ttl_ms / 1000
        return True

    async def remaining_ms(self, key: str) -> int:
        if not self._live(key) or key not in self._expiry:
            return 0
        return max(0, int((self._expiry[key] - time.monotonic()) * 1000))

    async def incr(self, key: str, amount: int) -> int:
        self._values[key] = self._values.get(key, 0) + amount
        return self._values[key]

    async def get_int(self, key: str) -> int:
        return self._values.get(key, 0) if self._live(key) else 0

    async def swap(self, key: str, value: int) -> int | None:
        old = self._values.get(key) if self._live(key) else None
        self._values[key] = value
        return old

    async def add_viewer(self, show_id: int, sid: str) -> None:
        self._viewers.setdefault(show_id, set()).add(sid)

    async def remove_viewer(self, show_id: int, sid: str) -> None:
        self._viewers.get(show_id, set()).discard(sid)

    async def refresh_viewers(self, show_id: int, sids: Iterable[str]) -> None:
        return None  # nothing expires in one process

    async def viewer_count(self, show_id: int) -> int:
        return len(self._viewers.get(show_id, ()))

    async def close(self) -> None:
        return None


# Connections one process opens to Redis at most. A bounded pool that waits for a free
# connection: redis-py's default pool refuses the 101st concurrent command with
# MaxConnectionsError, which a thousand viewers leaving at once used to hit.
REDIS_POOL_SIZE = 32
REDIS_POOL_WAIT_SECONDS = 10.0


class RedisState:
    def __init__(self, url: str, prefix: str) -> None:
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=REDIS_POOL_SIZE, timeout=REDIS_POOL_WAIT_SECONDS
        )
        self._redis = aioredis.Redis.from_pool(pool)
        self._prefix = prefix
        # Viewer joins and leaves queued for the next pipeline (see `_batched`).
        self._pending: list[Callable[[Any], None]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def _batched(self, queue: Callable[[Any], None]) -> None:
        """Run a command in the next pipeline, with every other one queued in the same
        moment: a thousand viewers joining or leaving at once are one round trip, not a
        thousand commands queued for the pool (which timed out at 5,000 viewers)."""
        self._pending.append(queue)
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().create_task(self._flush())
        # Shielded: a caller that gives up must not cancel the others' commands.
        await asyncio.shield(self._flushing)

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # the rest of this burst queues meanwhile
        queued, self._pending = self._pending, []
        self._flushing = None  # later commands go in the next pipeline
        async with self._redis.pipeline(transaction=False) as pipe:
            for queue in queued:
                queue(pipe)
            await pipe.execute()

    def _k(self, key: str) -> str:
        return f"{self._prefix}{key}"

    async def hit(self, key: str, window_ms: int) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(self._k(key))
            pipe.pexpire(self._k(key), window_ms, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def claim(self, key: str, ttl_ms: int) -> bool:
        return bool(await self._redis.set(self._k(key), 1, nx=True, px=ttl_ms))

    async def remaining_ms(self, key: str) -> int:
        ttl = int(await self._redis.pttl(self._k(key)))
        return max(0, ttl)

    async def incr(self, key: str, amount: int) -> int:
        return int(await self._redis.incrby(self._k(key), amount))

    async def get_int(self, key: str) -> int:
        value = await self._redis.get(self._k(key))
        return int(value) if value is not None else 0

    async def swap(self, key: str, value: int) -> int | None:
        old = await self._redis.set(self._k(key), value, get=True)
        return int(old) if old is not None else None

    def _viewers_key(self, show_id: int) -> str:
        return self._k(f"viewers:{show_id}")

    async def add_viewer(self, show_id: int, sid: str) -> None:
        key, expires = self._viewers_key(show_id), time.time() + VIEWER_TTL_SECONDS
        await self._batched(lambda pipe: pipe.zadd(key, {sid: expires}))

    async def remove_viewer(self, show_id: int, sid: str) -> None:
        key = self._viewers_key(show_id)
        await self._batched(lambda pipe: pipe.zrem(key, sid))

    async def refresh_viewers(self, show_id: int, sids: Iterable[str]) -> None:
        now = time.time()
        key = self._viewers_key(show_id)
        mapping = {sid: now + VIEWER_TTL_SECONDS for sid in sids}
        async with self._redis.pipeline(transaction=False) as pipe:
            if mapping:
                pipe.zadd(key, mapping)
            pipe.zremrangebyscore(key, "-inf", now)
            await pipe.execute()

    async def viewer_count(self, show_id: int) -> int:
        return int(await self._redis.zcount(self._viewers_key(show_id), time.time(), "+inf"))

    async def close(self) -> None:
        await self._redis.aclose()
