"""Short-lived shared chat state: viewers, rate limits, slow mode, heart totals.

Two implementations of the same small set of primitives: in memory for one process, and
in Redis when several processes serve the same shows (the counts and limits must then
be the same whichever process a viewer landed on). Keys live under a prefix so several
deployments (or test runs) can share one Redis.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, Protocol, TypeVar

import redis.asyncio as aioredis

from server.redis_link import UNREACHABLE, RedisHealth

T = TypeVar("T")

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


class RedisState:
    """On the process's shared client (closed with the process's Redis link)."""

    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self._redis = redis
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
        return None  # the shared client belongs to the process's Redis link


class ResilientState:
    """Redis while it answers; this process's own memory while it does not.

    During an outage counts and limits are this process's only (its viewers, its
    senders); when Redis answers again the shared figures take over, and the viewer
    refresh puts this process's viewers back into the shared count within its period."""

    def __init__(self, shared: RedisState, local: MemoryState, health: RedisHealth) -> None:
        self._shared = shared
        self._local = local
        self._health = health

    async def _either(self, shared: Coroutine[Any, Any, T], local: Callable[[], Awaitable[T]]) -> T:
        if self._health.worth_trying():
            try:
                result = await shared
            except UNREACHABLE as exc:
                self._health.failed(exc)
            else:
                self._health.answered()
                return result
        else:
            shared.close()  # not tried: no "never awaited" warning
        return await local()

    async def hit(self, key: str, window_ms: int) -> int:
        return await self._either(
            self._shared.hit(key, window_ms), lambda: self._local.hit(key, window_ms)
        )

    async def claim(self, key: str, ttl_ms: int) -> bool:
        return await self._either(
            self._shared.claim(key, ttl_ms), lambda: self._local.claim(key, ttl_ms)
        )

    async def remaining_ms(self, key: str) -> int:
        return await self._either(
            self._shared.remaining_ms(key), lambda: self._local.remaining_ms(key)
        )

    async def incr(self, key: str, amount: int) -> int:
        return await self._either(
            self._shared.incr(key, amount), lambda: self._local.incr(key, amount)
        )

    async def get_int(self, key: str) -> int:
        return await self._either(self._shared.get_int(key), lambda: self._local.get_int(key))

    async def swap(self, key: str, value: int) -> int | None:
        return await self._either(
            self._shared.swap(key, value), lambda: self._local.swap(key, value)
        )

    async def add_viewer(self, show_id: int, sid: str) -> None:
        # Kept locally too: the count this process falls back on during an outage.
        await self._local.add_viewer(show_id, sid)
        await self._either(self._shared.add_viewer(show_id, sid), _nothing)

    async def remove_viewer(self, show_id: int, sid: str) -> None:
        await self._local.remove_viewer(show_id, sid)
        await self._either(self._shared.remove_viewer(show_id, sid), _nothing)

    async def refresh_viewers(self, show_id: int, sids: Iterable[str]) -> None:
        await self._either(self._shared.refresh_viewers(show_id, list(sids)), _nothing)

    async def viewer_count(self, show_id: int) -> int:
        return await self._either(
            self._shared.viewer_count(show_id), lambda: self._local.viewer_count(show_id)
        )

    async def close(self) -> None:
        return None


async def _nothing() -> None:
    return None
