"""Each insight of one store, put together from the queries and the computations. Query
functions take the session first; nothing here knows about requests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.analytics.insights import history
from server.analytics.insights.advice import Advice, product_advice
from server.analytics.insights.besttime import Heatmap, heatmap
from server.analytics.insights.peers import Scope, StoreProfile, peer_group
from server.analytics.insights.products import ProductInsight, product_insights
from server.analytics.insights.retention import (
    Departure,
    RetentionPoint,
    Returning,
    departures,
    leaving_per_minute,
    retention_curve,
    returning_viewers,
)
from server.analytics.insights.sources import SalesHistory
from server.analytics.insights.timeline import Pin, ShowSpan
from server.db import utcnow
from server.shows.models import Show

# The heatmap learns from this much of the recent past: old habits fade.
HEATMAP_DAYS = 180


async def best_time(
    session: AsyncSession,
    sales: SalesHistory,
    store_id: int,
    scope: Scope,
    block: int | None = None,
) -> tuple[Heatmap, StoreProfile]:
    profiles = await history.store_profiles(session, sales)
    since = utcnow() - dt.timedelta(days=HEATMAP_DAYS)
    shows = [
        s for s in await history.past_shows(session, sales, profiles) if s.plan.starts_at >= since
    ]
    group = peer_group(profiles, store_id, scope)
    own = profiles.get(store_id, StoreProfile(store_id, "", "", ""))
    return heatmap(shows, store_id, group, block), own


@dataclass(frozen=True)
class WhatSells:
    products: list[ProductInsight]
    advice: list[Advice]
    shows: int


async def what_sells(session: AsyncSession, sales: SalesHistory, store_id: int) -> WhatSells:
    spans = await history.store_spans(session, store_id)
    ids = [s.show_id for s in spans]
    items = product_insights(
        spans,
        await history.pins_of(session, spans),
        await sales.sold_lines(session, ids),
        await sales.sale_windows(session, ids),
        await history.visits_of(session, spans),
    )
    return WhatSells(items, product_advice(items), len(spans))


@dataclass(frozen=True)
class WhoStays:
    span: ShowSpan
    curve: list[RetentionPoint]
    series: list[tuple[int, int]]
    pins: list[Pin]
    sales: list[tuple[int, int]]  # flash sales as (start, end) offsets
    departures: list[Departure]
    leaving: list[tuple[int, int]]
    returning: Returning


async def who_stays(
    session: AsyncSession, sales: SalesHistory, show: Show, span: ShowSpan
) -> WhoStays:
    visits = (await history.visits_of(session, [span])).get(span.show_id, [])
    pins = await history.pins_of(session, [span])
    windows = [
        (max(0, span.offset_of(w.starts_at)), min(span.length_ms, span.offset_of(w.ends_at)))
        for w in await sales.sale_windows(session, [span.show_id])
    ]
    returning = next(
        (
            r
            for r in returning_viewers(await history.viewers_by_show(session, show.store_id))
            if r.show_id == show.id
        ),
        Returning(show.id, 0, 0),
    )
    return WhoStays(
        span=span,
        curve=retention_curve(span, visits),
        series=await history.samples_of(session, span.show_id),
        pins=pins,
        sales=[w for w in windows if w[1] > w[0]],
        departures=departures(span, visits, pins),
        leaving=leaving_per_minute(span, visits),
        returning=returning,
    )


async def store_returning(session: AsyncSession, store_id: int) -> list[tuple[ShowSpan, Returning]]:
    """Returning viewers of each of the store's ended shows, newest first."""
    spans = {s.show_id: s for s in await history.store_spans(session, store_id)}
    found = returning_viewers(await history.viewers_by_show(session, store_id))
    by_show = {r.show_id: r for r in found}
    return [
        (span, by_show.get(show_id, Returning(show_id, 0, 0))) for show_id, span in spans.items()
    ]
