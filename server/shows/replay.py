"""Replays of ended shows: who may watch, the timeline of pins and flash sales, and the
chat to replay in step (chat hands its messages over through a small protocol)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.analytics.models import ShowEvent
from server.events import LiveEvent
from server.shows.models import Show, ShowState
from server.shows.service import can_present, may_view

TIMELINE_KINDS = (LiveEvent.PRODUCT_PINNED, LiveEvent.SALE_STARTED)


class ReplayChatSource(Protocol):
    async def __call__(self, session: AsyncSession, show_id: int) -> list[dict[str, Any]]:
        """Visible messages of a show as {"offset_ms", "author", "badge", "body"}."""


def can_watch_replay(user: User | None, show: Show) -> bool:
    """Ended shows the viewer may see have a replay unless the merchant hid it; staff
    always see it."""
    if show.state is not ShowState.ENDED or not may_view(user, show):
        return False
    return can_present(user, show) or not show.replay_hidden


@dataclass(frozen=True)
class Moment:
    kind: str
    offset_ms: int
    label: str
    product_id: int | None

    @property
    def is_sale(self) -> bool:
        return self.kind == LiveEvent.SALE_STARTED

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "is_sale": self.is_sale,
            "offset_ms": self.offset_ms,
            "label": self.label,
            "product_id": self.product_id,
        }


def _product(payload: dict[str, Any]) -> tuple[str, int | None]:
    for key in ("product", "sale"):
        item = payload.get(key)
        if isinstance(item, dict):
            name = item.get("name") or item.get("product_name") or ""
            product_id = item.get("product_id", item.get("id"))
            return str(name), product_id if isinstance(product_id, int) else None
    return "", None


async def timeline(session: AsyncSession, show_id: int) -> list[Moment]:
    events = await session.scalars(
        select(ShowEvent)
        .where(
            ShowEvent.show_id == show_id,
            ShowEvent.kind.in_(TIMELINE_KINDS),
            ShowEvent.offset_ms.is_not(None),
        )
        .order_by(ShowEvent.offset_ms)
    )
    moments = []
    for event in events:
        label, product_id = _product(event.payload or {})
        moments.append(Moment(event.kind, event.offset_ms or 0, label, product_id))
    return moments
