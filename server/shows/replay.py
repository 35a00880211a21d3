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
# What decides the product over the video at a moment of the replay.
PIN_KINDS = (LiveEvent.PRODUCT_PINNED, LiveEvent.SALE_STARTED, LiveEvent.PRODUCT_UNPINNED)
SAME_MOMENT_MS = 2_000


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


@dataclass(frozen=True)
class Pin:
    """From `offset_ms` on, `product_id` was over the video (None: nothing was)."""

    offset_ms: int
    product_id: int | None

    def as_json(self) -> dict[str, Any]:
        return {"offset_ms": self.offset_ms, "product_id": self.product_id}


@dataclass(frozen=True)
class Replay:
    moments: list[Moment]
    pins: list[Pin]


async def replay_of(session: AsyncSession, show_id: int) -> Replay:
    """The timeline to list (each pin once) and the track of what was pinned when.

    A flash sale pins its product and starts, two journal entries at one moment; a
    presenter may tap pin twice on the product already pinned. Neither is a new moment
    for the shopper, so a pin of the product already on screen is not listed again."""
    events = await session.scalars(
        select(ShowEvent)
        .where(
            ShowEvent.show_id == show_id,
            ShowEvent.kind.in_(PIN_KINDS),
            ShowEvent.offset_ms.is_not(None),
        )
        .order_by(ShowEvent.offset_ms, ShowEvent.id)
    )
    moments: list[Moment] = []
    pins: list[Pin] = []
    on_screen: int | None = None
    names: dict[int, str] = {}
    for event in events:
        offset = event.offset_ms or 0
        if event.kind == LiveEvent.PRODUCT_UNPINNED:
            on_screen = None
            pins.append(Pin(offset, None))
            continue
        label, product_id = _product(event.payload or {})
        # A sale's payload has no product name: the product's pin said it.
        if product_id is not None:
            label = names.setdefault(product_id, label) or label
        moment = Moment(event.kind, offset, label, product_id)
        pins.append(Pin(offset, product_id))
        if event.kind == LiveEvent.SALE_STARTED:
            last = moments[-1] if moments else None
            if (
                last is not None
                and not last.is_sale
                and last.product_id == product_id
                and offset - last.offset_ms < SAME_MOMENT_MS
            ):
                # The sale's own pin: one line, marked as the sale (its payload has no
                # product name; the pin's has).
                moments[-1] = Moment(event.kind, last.offset_ms, label or last.label, product_id)
            else:
                moments.append(moment)
        elif product_id is None or product_id != on_screen:
            moments.append(moment)
        on_screen = product_id
    return Replay(moments, pins)
