"""Keeps the moments that replay and charts need, as they are published to viewers.

The journal subscribes to the live-event bus after chat, so every event still reaches
the viewers first; the ones in `JOURNALED` are also written with their offset from the
show's start.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.analytics.models import ShowEvent
from server.db import utcnow
from server.events import JOURNALED, LiveEvent
from server.shows.models import Show

log = logging.getLogger("jangteo.journal")


def offset_ms(started_at: dt.datetime | None, at: dt.datetime) -> int | None:
    if started_at is None:
        return None
    return max(0, int((at - started_at).total_seconds() * 1000))


class ShowJournal:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def publish(self, show_id: int, event: LiveEvent, payload: dict[str, Any]) -> None:
        if event not in JOURNALED:
            return
        try:
            await self._record(show_id, event, payload)
        except Exception:  # the viewers got the event; a lost journal line is logged
            log.exception("journal write failed", extra={"show_id": show_id, "event": event})

    async def _record(self, show_id: int, event: LiveEvent, payload: dict[str, Any]) -> None:
        now = utcnow()
        async with self._sessionmaker.begin() as session:
            started_at = await session.scalar(select(Show.started_at).where(Show.id == show_id))
            session.add(
                ShowEvent(
                    show_id=show_id,
                    kind=str(event),
                    payload=payload,
                    offset_ms=offset_ms(started_at, now),
                    created_at=now,
                )
            )
