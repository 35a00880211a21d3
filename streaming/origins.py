"""Which process (or machine) holds a show's publisher, when several serve the site.

The node holding a show's publisher is the show's origin. It says so in Redis: the mark
`<prefix>publisher:<show id>` holds the node's token and the address other nodes reach
it at (`INTERNAL_URL`), set when the publisher arrives and refreshed while it publishes;
it runs out soon after the publisher (or its node) is gone, so a dead origin is noticed.
A viewer on another node is served by that node, which pulls the show from the origin
(streaming/edge.py). Every worker that starts while a show is live gives the show a grace
period for its publisher to return (`ShowStreams.resume_live_shows`); a worker whose grace
period runs out must not end a show whose publisher is on another node.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Protocol

import redis.asyncio as aioredis

from server.redis_link import UNREACHABLE

MARK_SECONDS = 30.0
_DELETE_IF_MINE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
REFRESH_SECONDS = 10.0


class PublisherPresence(Protocol):
    async def publishing_here(self, show_ids: Iterable[int]) -> None:
        """Mark these shows' publishers as held by this process (refreshed every
        REFRESH_SECONDS while they publish)."""

    async def publishing_elsewhere(self, show_id: int) -> bool:
        """Whether another process holds the show's publisher now."""

    async def released(self, show_ids: Iterable[int]) -> None:
        """This process stops: its marks go at once (edges then find the next origin
        without waiting for them to run out); a mark another node made stays."""

    async def origin_of(self, show_id: int) -> str | None:
        """The internal address of the other node holding the show's publisher, if one
        does (None when it is here, nowhere, or cannot be known)."""

    async def viewers_here(self, show_id: int, count: int) -> None:
        """An edge's number of viewers of a show it pulls (refreshed while it pulls)."""

    async def viewers_on_edges(self, show_id: int) -> int:
        """The viewers every edge pulling the show reported lately."""


class OneProcess:
    """No other process: nobody else can hold a publisher."""

    async def publishing_here(self, show_ids: Iterable[int]) -> None:
        return None

    async def publishing_elsewhere(self, show_id: int) -> bool:
        return False

    async def released(self, show_ids: Iterable[int]) -> None:
        return None

    async def origin_of(self, show_id: int) -> str | None:
        return None

    async def viewers_here(self, show_id: int, count: int) -> None:
        return None

    async def viewers_on_edges(self, show_id: int) -> int:
        return 0


class RedisPublisherPresence:
    def __init__(
        self, redis: aioredis.Redis, prefix: str, token: str, internal_url: str = ""
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._token = token
        # "<token> <url>": the holder, and where other nodes pull the show from.
        self._mark = f"{token} {internal_url}".strip()

    def _key(self, show_id: int) -> str:
        return f"{self._prefix}publisher:{show_id}"

    async def publishing_here(self, show_ids: Iterable[int]) -> None:
        ids = list(show_ids)
        if not ids:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for show_id in ids:
                pipe.set(self._key(show_id), self._mark, px=int(MARK_SECONDS * 1000))
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
        return _split(holder)[0] != self._token

    async def origin_of(self, show_id: int) -> str | None:
        try:
            holder = await self._redis.get(self._key(show_id))
        except UNREACHABLE:
            return None  # the viewer is served here and waits, as on one process
        if holder is None:
            return None
        token, url = _split(holder)
        return url if token != self._token and url else None

    async def released(self, show_ids: Iterable[int]) -> None:
        for show_id in show_ids:
            await self._redis.eval(_DELETE_IF_MINE, 1, self._key(show_id), self._mark)

    def _viewers_key(self, show_id: int) -> str:
        return f"{self._prefix}edge-viewers:{show_id}"

    async def viewers_here(self, show_id: int, count: int) -> None:
        # One field per edge, "<count> <until>": an edge that died stops counting once
        # its entry is out of date, without waiting for the others to stop refreshing.
        until = time.time() + MARK_SECONDS
        async with self._redis.pipeline(transaction=False) as pipe:
            key = self._viewers_key(show_id)
            if count:
                pipe.hset(key, self._token, f"{count} {until:.0f}")
            else:
                pipe.hdel(key, self._token)
            pipe.pexpire(key, int(MARK_SECONDS * 1000))
            await pipe.execute()

    async def viewers_on_edges(self, show_id: int) -> int:
        try:
            entries = await self._redis.hgetall(self._viewers_key(show_id))
        except UNREACHABLE:
            return 0
        now, total = time.time(), 0
        for value in entries.values():
            count, _, until = (value.decode() if isinstance(value, bytes) else value).partition(" ")
            if count.isdigit() and until.isdigit() and int(until) >= now:
                total += int(count)
        return total


def _split(holder: bytes | str) -> tuple[str, str]:
    text = holder.decode() if isinstance(holder, bytes) else holder
    token, _, url = text.partition(" ")
    return token, url
