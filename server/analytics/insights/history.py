"""Queries: the platform's ended shows as plain records for the insights. Figures that
add up per show are summed in the database (GROUP BY), not loaded row by row."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Store
from server.analytics.insights.peers import StoreProfile, market_key, market_label
from server.analytics.insights.records import PastShow, ShowPlan
from server.analytics.insights.sources import LineupFacts, SalesHistory
from server.analytics.insights.timeline import (
    Pin,
    ShowSpan,
    Visit,
    clip_visit,
    pin_intervals,
)
from server.analytics.models import ShowEvent, ViewerSample, ViewerVisit
from server.events import LiveEvent
from server.shows.models import Show, ShowCreator, ShowState

CHUNK = 900  # bound parameters per IN (...) list, safe for SQLite and asyncpg


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


async def store_profiles(session: AsyncSession, sales: SalesHistory) -> dict[int, StoreProfile]:
    categories = await sales.store_categories(session)
    rows = await session.execute(select(Store.id, Store.market, Store.region))
    return {
        store_id: StoreProfile(
            store_id,
            market_key(market, region),
            market_label(market, region),
            categories.get(store_id, ""),
        )
        for store_id, market, region in rows
    }


def _ended() -> Any:
    return (Show.state == ShowState.ENDED) & Show.started_at.is_not(None)


async def ended_fingerprint(session: AsyncSession) -> tuple[int, dt.datetime | None]:
    """How many shows have ended and the latest end: changes when there is news to learn."""
    count, latest = (
        await session.execute(select(func.count(Show.id), func.max(Show.ended_at)).where(_ended()))
    ).one()
    return int(count), latest


async def _peaks(session: AsyncSession, show_ids: list[int]) -> dict[int, int]:
    peaks: dict[int, int] = {}
    for chunk in _chunks(show_ids):
        rows = await session.execute(
            select(ViewerSample.show_id, func.max(ViewerSample.viewers))
            .where(ViewerSample.show_id.in_(chunk))
            .group_by(ViewerSample.show_id)
        )
        peaks.update({show_id: int(peak or 0) for show_id, peak in rows})
    return peaks


async def _crews(session: AsyncSession, show_ids: list[int]) -> dict[int, tuple[int, ...]]:
    crews: dict[int, list[int]] = {}
    for chunk in _chunks(show_ids):
        rows = await session.execute(
            select(ShowCreator.show_id, ShowCreator.creator_id)
            .where(ShowCreator.show_id.in_(chunk))
            .order_by(ShowCreator.creator_id)
        )
        for show_id, creator_id in rows:
            crews.setdefault(show_id, []).append(creator_id)
    return {show_id: tuple(ids) for show_id, ids in crews.items()}


def main_category(lineup: LineupFacts, fallback: str) -> str:
    counts = Counter(p.category for p in lineup.products if p.category)
    if not counts:
        return fallback
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _plan(
    show: Show, profile: StoreProfile, lineup: LineupFacts, creators: tuple[int, ...]
) -> ShowPlan:
    assert show.started_at is not None
    end = show.ended_at or show.scheduled_end
    prices = [p.price for p in lineup.products]
    return ShowPlan(
        store_id=show.store_id,
        starts_at=show.started_at,
        minutes=max(1, round((end - show.started_at).total_seconds() / 60)),
        market=profile.market_key,
        category=main_category(lineup, profile.category),
        product_count=len(prices),
        mean_price=round(sum(prices) / len(prices)) if prices else 0,
        flash_sales=lineup.flash_sales,
        creator_ids=creators,
    )


async def past_shows(
    session: AsyncSession,
    sales: SalesHistory,
    profiles: dict[int, StoreProfile],
    *,
    store_id: int | None = None,
    limit: int | None = None,
) -> list[PastShow]:
    """Ended shows, oldest first (the `limit` most recent ones when given)."""
    query = select(Show).where(_ended()).order_by(Show.started_at.desc(), Show.id.desc())
    if store_id is not None:
        query = query.where(Show.store_id == store_id)
    if limit is not None:
        query = query.limit(limit)
    shows = list(reversed(list(await session.scalars(query))))
    ids = [s.id for s in shows]
    peaks = await _peaks(session, ids)
    crews = await _crews(session, ids)
    totals = await sales.show_sales(session, ids)
    lineups = await sales.lineups(session, ids)
    out = []
    for show in shows:
        profile = profiles.get(show.store_id, StoreProfile(show.store_id, "", "", ""))
        plan = _plan(show, profile, lineups.get(show.id, LineupFacts()), crews.get(show.id, ()))
        sold = totals.get(show.id)
        out.append(
            PastShow(
                show_id=show.id,
                plan=plan,
                peak_viewers=peaks.get(show.id, 0),
                orders=sold.orders if sold else 0,
                revenue=sold.revenue if sold else 0,
            )
        )
    return out


async def creator_show_counts(session: AsyncSession, creator_ids: list[int]) -> dict[int, int]:
    """How many shows each creator has done (ended shows, any store)."""
    if not creator_ids:
        return {}
    rows = await session.execute(
        select(ShowCreator.creator_id, func.count(ShowCreator.show_id))
        .join(Show, Show.id == ShowCreator.show_id)
        .where(ShowCreator.creator_id.in_(creator_ids), _ended())
        .group_by(ShowCreator.creator_id)
    )
    return {creator_id: int(n) for creator_id, n in rows}


# --- one store's shows in detail ----------------------------------------------------------


def _span(show: Show) -> ShowSpan:
    assert show.started_at is not None
    end = show.ended_at or show.scheduled_end
    return ShowSpan(
        show.id, show.title, show.started_at, int((end - show.started_at).total_seconds() * 1000)
    )


async def store_spans(session: AsyncSession, store_id: int, limit: int = 200) -> list[ShowSpan]:
    """The store's ended shows, newest first."""
    shows = await session.scalars(
        select(Show)
        .where(_ended(), Show.store_id == store_id)
        .order_by(Show.started_at.desc())
        .limit(limit)
    )
    return [_span(s) for s in shows]


def show_span(show: Show) -> ShowSpan | None:
    return _span(show) if show.state is ShowState.ENDED and show.started_at else None


async def pins_of(session: AsyncSession, spans: list[ShowSpan]) -> list[Pin]:
    by_id = {s.show_id: s for s in spans}
    events: dict[int, list[tuple[str, int, dict[str, Any]]]] = {}
    for chunk in _chunks(list(by_id)):
        rows = await session.execute(
            select(ShowEvent.show_id, ShowEvent.kind, ShowEvent.offset_ms, ShowEvent.payload).where(
                ShowEvent.show_id.in_(chunk),
                ShowEvent.kind.in_((LiveEvent.PRODUCT_PINNED, LiveEvent.PRODUCT_UNPINNED)),
                ShowEvent.offset_ms.is_not(None),
            )
        )
        for show_id, kind, offset, payload in rows:
            events.setdefault(show_id, []).append((kind, offset, payload or {}))
    pins: list[Pin] = []
    for show_id, span in by_id.items():
        pins.extend(pin_intervals(span, events.get(show_id, [])))
    return pins


async def visits_of(session: AsyncSession, spans: list[ShowSpan]) -> dict[int, list[Visit]]:
    by_id = {s.show_id: s for s in spans}
    visits: dict[int, list[Visit]] = {}
    for chunk in _chunks(list(by_id)):
        rows = await session.execute(
            select(
                ViewerVisit.show_id,
                ViewerVisit.viewer_key,
                ViewerVisit.joined_at,
                ViewerVisit.left_at,
            ).where(ViewerVisit.show_id.in_(chunk))
        )
        for show_id, key, joined, left in rows:
            visit = clip_visit(by_id[show_id], key, joined, left)
            if visit is not None:
                visits.setdefault(show_id, []).append(visit)
    return visits


async def samples_of(session: AsyncSession, show_id: int) -> list[tuple[int, int]]:
    rows = await session.execute(
        select(ViewerSample.offset_ms, ViewerSample.viewers)
        .where(ViewerSample.show_id == show_id)
        .order_by(ViewerSample.offset_ms)
    )
    return [(int(o), int(v)) for o, v in rows]


async def viewers_by_show(session: AsyncSession, store_id: int) -> list[tuple[int, set[str]]]:
    """Each ended show of the store, oldest first, with the viewers it had."""
    rows = await session.execute(
        select(Show.id, ViewerVisit.viewer_key)
        .join(ViewerVisit, ViewerVisit.show_id == Show.id)
        .where(_ended(), Show.store_id == store_id)
        .order_by(Show.started_at, Show.id)
    )
    out: dict[int, set[str]] = {}
    for show_id, key in rows:
        out.setdefault(show_id, set()).add(key)
    return list(out.items())


async def unique_viewer_counts(session: AsyncSession, show_ids: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for chunk in _chunks(show_ids):
        rows = await session.execute(
            select(ViewerVisit.show_id, func.count(distinct(ViewerVisit.viewer_key)))
            .where(ViewerVisit.show_id.in_(chunk))
            .group_by(ViewerVisit.show_id)
        )
        counts.update({show_id: int(n) for show_id, n in rows})
    return counts
