"""Viewer presence: who watched which show from when to when, and a sampler that keeps
the concurrent viewer count of every live show every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server import keys
from server.analytics import appkeys as analytics_keys
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
    def __init__(self, app: web.Application) -> None:
        self._app = app

    async def joined(self, show_id: int, viewer_key: str, user_id: int | None) -> int:
        async with self._app[keys.sessionmaker].begin() as session:
            visit = ViewerVisit(show_id=show_id, viewer_key=viewer_key, user_id=user_id)
            session.add(visit)
            await session.flush()
            return visit.id

    async def left(self, visit_id: int) -> None:
        async with self._app[keys.sessionmaker].begin() as session:
            await session.execute(
                update(ViewerVisit)
                .where(ViewerVisit.id == visit_id, ViewerVisit.left_at.is_(None))
                .values(left_at=utcnow())
            )


async def take_samples(app: web.Application) -> int:
    """Store the viewer count of every live show; returns how many shows were sampled."""
    counter = app.get(analytics_keys.viewer_counter)
    if counter is None:
        return 0
    sessionmaker: async_sessionmaker[AsyncSession] = app[keys.sessionmaker]
    now = utcnow()
    async with sessionmaker() as session:
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
            viewers=await counter.viewer_count(show_id),
            hearts=await counter.heart_total(show_id),
        )
        for show_id, started in live
    ]
    async with sessionmaker.begin() as session:
        session.add_all(samples)
    return len(samples)


async def _sample_forever(app: web.Application) -> None:
    while True:
        await asyncio.sleep(SAMPLE_SECONDS)
        try:
            await take_samples(app)
        except Exception:  # keep sampling whatever one round ran into
            log.exception("viewer sampling failed")


async def sampler_context(app: web.Application) -> AsyncIterator[None]:
    app[analytics_keys.sampler] = asyncio.create_task(_sample_forever(app))
    yield
    app[analytics_keys.sampler].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await app[analytics_keys.sampler]
