"""What the posting path needs to know, kept in memory for a moment.

Posting is the hot path: at a thousand viewers the event loop is busy sending, and
every database round trip a message makes waits for it. So a show's room settings,
its banned words and each poster's restriction are read once and kept for a couple of
seconds. A change made through this process is applied at once (the entry is dropped);
a change made on another process is seen within TTL_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat import service
from chat.errors import ShowNotOpen
from chat.models import ChatRestriction
from server.shows.models import Show

TTL_SECONDS = 2.0


@dataclass(frozen=True)
class RoomContext:
    show_id: int
    store_id: int
    started_at: dt.datetime | None
    slow_mode_seconds: int
    frozen: bool
    banned_words: tuple[str, ...]


class PostingCache:
    def __init__(self, sessions: Callable[[], async_sessionmaker[AsyncSession]]) -> None:
        self._sessions = sessions
        self._rooms: dict[int, tuple[float, RoomContext]] = {}
        self._restrictions: dict[tuple[int, int], tuple[float, ChatRestriction | None]] = {}

    async def room(self, show_id: int) -> RoomContext:
        hit = self._rooms.get(show_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        async with self._sessions()() as db:
            show = await db.get(Show, show_id)
            if show is None:
                raise ShowNotOpen()
            room = await service.room_of(db, show_id)
            words = await service.banned_words(db, show.store_id)
        context = RoomContext(show_id=show_id, store_id=show.store_id,
                              started_at=show.started_at,
                              slow_mode_seconds=room.slow_mode_seconds, frozen=room.frozen,
                              banned_words=tuple(words))
        self._rooms[show_id] = (time.monotonic() + TTL_SECONDS, context)
        return context

    async def restriction(self, user_id: int, store_id: int) -> ChatRestriction | None:
        key = (user_id, store_id)
        hit = self._restrictions.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        async with self._sessions()() as db:
            found = await service.active_restriction(db, user_id, store_id)
        if len(self._restrictions) > 10_000:  # bounded: drop what has expired
            self._restrictions = {k: v for k, v in self._restrictions.items() if v[0] > now}
        self._restrictions[key] = (now + TTL_SECONDS, found)
        return found

    def forget_room(self, show_id: int | None = None) -> None:
        """Drop one show's settings, or every show's (a platform-wide word changed)."""
        if show_id is None:
            self._rooms.clear()
        else:
            self._rooms.pop(show_id, None)

    def forget_user(self, user_id: int) -> None:
        for key in [k for k in self._restrictions if k[0] == user_id]:
            del self._restrictions[key]
