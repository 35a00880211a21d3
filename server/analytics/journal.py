"""Keeps the moments that replay and charts need, as they are published to viewers.

The factory wraps the live-event publisher with this: every event still goes to the
viewers first; the ones in JOURNALED are also written with their offset from the
show's start.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from sqlalchemy import select

from server import keys
from server.analytics.models import ShowEvent
from server.db import utcnow
from server.events import EventPublisher
from server.shows.models import Show

log = logging.getLogger("jangteo.journal")

JOURNALED = frozenset(
    {
        "product:pinned",
        "product:unpinned",
        "sale:started",
        "sale:ended",
        "product:sold_out",
        "order:paid",
        "stream.state",
    }
)


def offset_ms(started_at: Any, at: Any) -> int | None:
    if started_at is None:
        return None
    return max(0, int((at - started_at).total_seconds() * 1000))


class JournalingPublisher:
    def __init__(self, inner: EventPublisher, app: web.Application) -> None:
        self.inner = inner
        self._app = app

    def __getattr__(self, name: str) -> Any:
        # Whatever else the wrapped publisher offers (chat's hub: viewer counts, ...).
        return getattr(self.inner, name)

    async def publish(self, show_id: int, event: str, payload: dict[str, Any]) -> None:
        await self.inner.publish(show_id, event, payload)
        if event in JOURNALED:
            try:
                await self._record(show_id, event, payload)
            except Exception:  # the viewers got the event; a lost journal line is logged
                log.exception("journal write failed", extra={"show_id": show_id, "event": event})

    async def _record(self, show_id: int, event: str, payload: dict[str, Any]) -> None:
        now = utcnow()
        async with self._app[keys.sessionmaker].begin() as session:
            started_at = await session.scalar(select(Show.started_at).where(Show.id == show_id))
            session.add(
                ShowEvent(
                    show_id=show_id,
                    kind=event,
                    payload=payload,
                    offset_ms=offset_ms(started_at, now),
                    created_at=now,
                )
            )
