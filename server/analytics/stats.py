"""The numbers of a show, a store and the platform, from the journal, the presence log,
the viewer samples and the figures chat and checkout hand over."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, fields

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.analytics.interfaces import (
    ChatFigures,
    ChatFiguresSource,
    SalesFigures,
    SalesFiguresSource,
)
from server.analytics.models import ShowEvent, ViewerSample, ViewerVisit
from server.db import utcnow
from server.events import LiveEvent
from server.i18n import SEOUL
from server.shows.models import Show, ShowState

MARKER_KINDS = (LiveEvent.PRODUCT_PINNED, LiveEvent.SALE_STARTED, LiveEvent.ORDER_PAID)


@dataclass
class Marker:
    kind: str
    offset_ms: int
    label: str


@dataclass
class Figures:
    """The figures that add up across shows (a store's or a period's totals)."""

    unique_viewers: int = 0
    watch_seconds: int = 0
    chat_messages: int = 0
    hearts: int = 0
    orders: int = 0
    revenue: int = 0
    buyers: int = 0

    @property
    def conversion(self) -> float:
        """Buyers ÷ unique viewers (0 when nobody watched)."""
        return self.buyers / self.unique_viewers if self.unique_viewers else 0.0


SUMMED = tuple(f.name for f in fields(Figures))


@dataclass(kw_only=True)
class ShowNumbers(Figures):
    show: Show
    peak_viewers: int = 0
    average_viewers: float = 0.0
    revenue_by_product: dict[str, int] = field(default_factory=dict)
    series: list[tuple[int, int]] = field(default_factory=list)  # (offset ms, viewers)
    markers: list[Marker] = field(default_factory=list)


def _label(event: ShowEvent) -> str:
    payload = event.payload or {}
    for key in ("product", "sale", "order"):
        item = payload.get(key)
        if isinstance(item, dict):
            for name_key in ("name", "product_name", "title"):
                if isinstance(item.get(name_key), str):
                    return str(item[name_key])
    return str(payload.get("name", ""))


def _watch_seconds(visits: Sequence[ViewerVisit], show: Show, now: dt.datetime) -> int:
    end_cap = show.ended_at or now
    total = 0.0
    for visit in visits:
        start = max(visit.joined_at, show.started_at or visit.joined_at)
        end = min(visit.left_at or end_cap, end_cap)
        total += max(0.0, (end - start).total_seconds())
    return int(total)


async def show_numbers(
    session: AsyncSession,
    shows: Sequence[Show],
    chat: ChatFiguresSource | None,
    sales: SalesFiguresSource | None,
) -> list[ShowNumbers]:
    ids = [s.id for s in shows]
    if not ids:
        return []
    numbers = {s.id: ShowNumbers(show=s) for s in shows}
    samples = await session.scalars(
        select(ViewerSample).where(ViewerSample.show_id.in_(ids)).order_by(ViewerSample.at)
    )
    hearts: dict[int, int] = {}
    for sample in samples:
        numbers[sample.show_id].series.append((sample.offset_ms, sample.viewers))
        hearts[sample.show_id] = max(hearts.get(sample.show_id, 0), sample.hearts)
    visits: dict[int, list[ViewerVisit]] = {}
    for visit in await session.scalars(select(ViewerVisit).where(ViewerVisit.show_id.in_(ids))):
        visits.setdefault(visit.show_id, []).append(visit)
    events = await session.scalars(
        select(ShowEvent)
        .where(
            ShowEvent.show_id.in_(ids),
            ShowEvent.kind.in_(MARKER_KINDS),
            ShowEvent.offset_ms.is_not(None),
        )
        .order_by(ShowEvent.offset_ms)
    )
    for event in events:
        numbers[event.show_id].markers.append(
            Marker(event.kind, event.offset_ms or 0, _label(event))
        )
    chat_figures = await chat(session, ids) if chat else {}
    sales_figures = await sales(session, ids) if sales else {}
    now = utcnow()
    for show_id, n in numbers.items():
        counts = [v for _, v in n.series]
        n.peak_viewers = max(counts, default=0)
        n.average_viewers = round(sum(counts) / len(counts), 1) if counts else 0.0
        show_visits = visits.get(show_id, [])
        n.unique_viewers = len({v.viewer_key for v in show_visits})
        n.watch_seconds = _watch_seconds(show_visits, n.show, now)
        c = chat_figures.get(show_id, ChatFigures())
        n.chat_messages = c.messages
        n.hearts = max(c.hearts, hearts.get(show_id, 0))
        s = sales_figures.get(show_id, SalesFigures())
        n.orders, n.revenue, n.buyers = s.orders, s.revenue, len(s.buyer_ids)
        n.revenue_by_product = dict(sorted(s.revenue_by_product.items(), key=lambda kv: -kv[1]))
    return [numbers[i] for i in ids]


@dataclass
class Totals(Figures):
    label: str = ""
    shows: int = 0

    def add(self, n: ShowNumbers) -> None:
        self.shows += 1
        for name in SUMMED:
            setattr(self, name, getattr(self, name) + getattr(n, name))


def bucket_of(moment: dt.datetime, period: str) -> str:
    day = moment.astimezone(SEOUL).date()
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    if period == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return f"{monday.isoformat()} ~"
    return day.isoformat()


def totals_by_period(numbers: Sequence[ShowNumbers], period: str) -> list[Totals]:
    buckets: dict[str, Totals] = {}
    for n in numbers:
        moment = n.show.started_at or n.show.scheduled_start
        label = bucket_of(moment, period)
        buckets.setdefault(label, Totals(label=label)).add(n)
    return [buckets[k] for k in sorted(buckets, reverse=True)]


def grand_total(numbers: Sequence[ShowNumbers]) -> Totals:
    total = Totals(label="all")
    for n in numbers:
        total.add(n)
    return total


async def shows_with_numbers(
    session: AsyncSession, *, store_id: int | None = None, limit: int = 500
) -> list[Show]:
    """Shows that went live (live now or ended), newest first."""
    from sqlalchemy.orm import selectinload

    query = (
        select(Show)
        .where(Show.state.in_((ShowState.LIVE, ShowState.ENDED)))
        .order_by(Show.started_at.desc())
        .limit(limit)
        .options(selectinload(Show.store), selectinload(Show.creators))
    )
    if store_id is not None:
        query = query.where(Show.store_id == store_id)
    return list(await session.scalars(query))
