"""Which process holds a show's publisher, when several serve the site.

Until video crosses processes the balancer sends a show's WHIP and WHEP to one worker
(deploy/haproxy.cfg), but every worker that starts while a show is live gives that show
a grace period for its publisher to return (`ShowStreams.resume_live_shows`); a worker
whose grace period runs out must not end a show whose publisher came back to another
worker. The worker holding a publisher says so in Redis, refreshed while it publishes;
the mark runs out soon after the publisher (or its worker) is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import redis.asyncio as aioredis

from server.redis_link import UNREACHABLE

MARK_SECONDS = 30.0
REFRESH_SECONDS = 10.0


class PublisherPresence(Protocol):
    async def publishing_here(self, show_ids: Iterable[int]) -> None:
        """Mark these shows' publishers as held by this process (refreshed every
        REFRESH_SECONDS while they publish)."""

    async def publishing_elsewhere(self, show_id: int) -> bool:
        """Whether another process holds the show's publisher now."""


class OneProcess:
    """No other process: nobody else can hold a publisher."""

    async def publishing_here(self, show_ids: Iterable[int]) -> None:
        return None

    async def publishing_elsewhere(self, show_id: int) -> bool:
        return False


class RedisPublisherPresence:
    def __init__(self, redis: aioredis.Redis, prefix: str, token: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._token = token

    def _key(self, show_id: int) -> str:
        return f"{self._prefix}publisher:{show_id}"

    async def publishing_here(self, show_ids: Iterable[int]) -> None:
        ids = list(show_ids)
        if not ids:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for show_id in ids:
                pipe.set(self._key(show_id), self._token, px=int(MARK_SECONDS * 1000))
            await pipe.execute()

    async def publishing_elsewhere(self, show_id: int) -> bool:
        try:
            holder = await self._redis.get(self._key(show_id))
        except UNREACHABLE:
            # Unknown: keep the show (ending a show on the air is the worse mistake;
            # the next grace period asks again).
            return True
        if holder is None:
            return False
        return (holder.decode() if isinstance(holder, bytes) else holder) != self._token
