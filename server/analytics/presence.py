"""Viewer presence: who watched which show from when to when, and a sampler that keeps
the concurrent viewer count of every live show every few seconds."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.analytics.interfaces import ViewerCounter
from server.analytics.journal import offset_ms
from server.analytics.models import ViewerSample, ViewerVisit
from server.db import utcnow
from server.shows.models import Show, ShowState

log = logging.getLogger("jangteo.presence")
SAMPLE_SECONDS = 10.0


def viewer_key(user_id: int | None, browser_secret: str | None, fallback: str) -> str:
    """A stable name for a viewer: the account, else a hash of the browser's own cookie
    (so the same phone counts once however often it reconnects)."""
    if user_id is not None:
        return f"u{user_id}"
    seed = browser_secret or fallback
    return "b" + hashlib.sha256(seed.encode()).hexdigest()[:24]


class DatabasePresenceLog:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def joined(self, show_id: int, viewer_key: str, user_id: int | None) -> int:
        async with self._sessionmaker.begin() as session:
            visit = ViewerVisit(show_id=show_id, viewer_key=viewer_key, user_id=user_id)
            session.add(visit)
            await session.flush()
            return visit.id

    async def left(self, visit_id: int) -> None:
        async with self._sessionmaker.begin() as session:
            await session.execute(
                update(ViewerVisit)
                .where(ViewerVisit.id == visit_id, ViewerVisit.left_at.is_(None))
                .values(left_at=utcnow())
            )


class ViewerSampler:
    """Keeps the concurrent viewer count and heart total of every live show, every
    `SAMPLE_SECONDS`, for the viewers-over-time chart."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], counter: ViewerCounter
    ) -> None:
        self._sessionmaker = sessionmaker
        self._counter = counter

    async def take_samples(self) -> int:
        """Store the viewer count of every live show; returns how many shows were sampled."""
        now = utcnow()
        async with self._sessionmaker() as session:
            live = (
                await session.execute(
                    select(Show.id, Show.started_at).where(Show.state == ShowState.LIVE)
                )
            ).all()
        if not live:
            return 0
        samples = [
            ViewerSample(
                show_id=show_id,
                at=now,
                offset_ms=offset_ms(started, now) or 0,
                viewers=await self._counter.viewer_count(show_id),
                hearts=await self._counter.heart_total(show_id),
            )
            for show_id, started in live
        ]
        async with self._sessionmaker.begin() as session:
            session.add_all(samples)
        return len(samples)
