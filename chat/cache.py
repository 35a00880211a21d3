"""What the posting path needs to know, kept in memory and refreshed in the background.

Posting is the hot path: at a thousand viewers the event loop is busy sending, and a
database round trip can wait a long time (the driver's thread hands results back
through that busy loop; on SQLite a write waits for the previous commit's fsync). So a
show's room settings, its banned words and each poster's restriction are read once,
then served from memory while a background task refreshes them every TTL_SECONDS. A
change made through this process drops the entry, so it applies at once; a change made
on another process is seen within a few seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat import service
from chat.errors import ShowNotOpen
from chat.models import ChatRestriction
from chat.rooms import RoomContext
from server.shows.models import Show, ShowState

TTL_SECONDS = 2.0
MAX_ENTRIES = 10_000

log = logging.getLogger("jangteo.chat")
K = TypeVar("K")
V = TypeVar("V")


class _StaleWhileRefreshing(Generic[K, V]):
    """A map whose entries, once older than the TTL, are still served while one
    background task per key loads a fresh value. Only a key never seen waits."""

    def __init__(self, load: Callable[[K], Awaitable[V]]) -> None:
        self._load = load
        self._entries: dict[K, tuple[float, V]] = {}
        self._refreshing: dict[K, asyncio.Task[Any]] = {}

    async def get(self, key: K) -> V:
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is None:
            return await self._fetch(key)
        if hit[0] <= now and key not in self._refreshing:
            task = asyncio.get_running_loop().create_task(self._fetch(key))
            self._refreshing[key] = task
            task.add_done_callback(lambda t, k=key: self._refresh_done(k, t))  # type: ignore[misc]
        return hit[1]

    def _refresh_done(self, key: K, task: asyncio.Task[Any]) -> None:
        self._refreshing.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            # The stale value keeps serving; the next get tries again.
            log.warning("chat cache refresh failed", exc_info=task.exception())

    async def _fetch(self, key: K) -> V:
        value = await self._load(key)
        now = time.monotonic()
        if len(self._entries) >= MAX_ENTRIES:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
        self._entries[key] = (now + TTL_SECONDS, value)
        return value

    def put(self, key: K, value: V) -> None:
        self._entries[key] = (time.monotonic() + TTL_SECONDS, value)

    def drop(self, matches: Callable[[K], bool]) -> None:
        for key in [k for k in self._entries if matches(k)]:
            del self._entries[key]
            task = self._refreshing.pop(key, None)
            if task is not None:
                task.cancel()  # it would put back what was just dropped

    def close(self) -> None:
        for task in self._refreshing.values():
            task.cancel()


class PostingCache:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._rooms: _StaleWhileRefreshing[int, RoomContext] = _StaleWhileRefreshing(
            self._load_room
        )
        self._restrictions: _StaleWhileRefreshing[tuple[int, int], ChatRestriction | None] = (
            _StaleWhileRefreshing(self._load_restriction)
        )

    async def _load_room(self, show_id: int) -> RoomContext:
        async with self._sessionmaker() as db:
            show = await db.get(Show, show_id)
            if show is None:
                raise ShowNotOpen()
            room = await service.room_of(db, show_id)
            words = await service.banned_words(db, show.store_id)
        return RoomContext(
            show_id=show_id,
            store_id=show.store_id,
            started_at=show.started_at,
            closed=show.state in (ShowState.ENDED, ShowState.CANCELLED),
            slow_mode_seconds=room.slow_mode_seconds,
            frozen=room.frozen,
            banned_words=tuple(words),
        )

    async def _load_restriction(self, key: tuple[int, int]) -> ChatRestriction | None:
        async with self._sessionmaker() as db:
            return await service.active_restriction(db, *key)

    async def room(self, show_id: int) -> RoomContext:
        return await self._rooms.get(show_id)

    async def restriction(self, user_id: int, store_id: int) -> ChatRestriction | None:
        found = await self._restrictions.get((user_id, store_id))
        if (
            found is not None
            and found.expires_at is not None
            and found.expires_at <= dt.datetime.now(dt.UTC)
        ):
            return None  # a time-out that ran out while cached
        return found

    def prime_restriction(
        self, user_id: int, store_id: int, restriction: ChatRestriction | None
    ) -> None:
        """What `join` just read, so the first message needs no database round trip."""
        self._restrictions.put((user_id, store_id), restriction)

    def forget_room(self, show_id: int | None = None) -> None:
        """Drop one show's settings, or every show's (a platform-wide word changed)."""
        self._rooms.drop(lambda key: show_id is None or key == show_id)

    def forget_user(self, user_id: int) -> None:
        self._restrictions.drop(lambda key: key[0] == user_id)

    def close(self) -> None:
        self._rooms.close()
        self._restrictions.close()
