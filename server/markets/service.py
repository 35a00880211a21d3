"""The market directory: listing by region, search, a market's page, which market a
store belongs to. Functions take the session first; views build no SQL."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.accounts.models import Store
from server.accounts.service import slugify
from server.errors import N_
from server.markets import search
from server.markets.errors import BadMarketInput, MarketNotFound
from server.markets.models import Market, StoreMarket
from server.markets.regions import PROVINCES
from server.shows.models import Approval, Show, ShowState

RECENT_REPLAYS = 8


async def unique_slug(session: AsyncSession, province: str, district: str, name: str) -> str:
    base = slugify(f"{province} {district} {name}")
    candidate, n = base, 1
    while await session.scalar(select(Market.id).where(Market.slug == candidate)) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _province_order(market: Market) -> tuple[int, str, str]:
    rank = PROVINCES.index(market.province) if market.province in PROVINCES else len(PROVINCES)
    return (rank, market.district, market.name)


@dataclass(frozen=True)
class Listing:
    market: Market
    stores: int
    live: int


async def directory(
    session: AsyncSession, *, province: str = "", district: str = "", query: str = ""
) -> list[Listing]:
    """Markets of a region (all if none), matching a Korean query, in region order, with
    how many stores each has and how many of them are live now."""
    rows = select(Market)
    if province:
        rows = rows.where(Market.province == province)
    if district:
        rows = rows.where(Market.district == district)
    markets = sorted(await session.scalars(rows), key=_province_order)
    found = search.search(query, markets)
    ids = [m.id for m in found]
    stores = dict(
        (
            await session.execute(
                select(StoreMarket.market_id, func.count())
                .where(StoreMarket.market_id.in_(ids))
                .group_by(StoreMarket.market_id)
            )
        ).all()
    )
    live = dict(
        (
            await session.execute(
                select(StoreMarket.market_id, func.count(Show.id))
                .join(Show, Show.store_id == StoreMarket.store_id)
                .where(StoreMarket.market_id.in_(ids), *_public(ShowState.LIVE))
                .group_by(StoreMarket.market_id)
            )
        ).all()
    )
    return [Listing(m, stores.get(m.id, 0), live.get(m.id, 0)) for m in found]


def _public(state: ShowState) -> tuple[ColumnElement[bool], ...]:
    return (Show.state == state, Show.approval == Approval.APPROVED)


async def regions(session: AsyncSession) -> dict[str, list[str]]:
    """Each 시/도 that has markets, with its 시/군/구, in the usual order."""
    pairs = (await session.execute(select(Market.province, Market.district).distinct())).all()
    found: dict[str, set[str]] = {}
    for province, district in pairs:
        found.setdefault(province, set()).add(district)
    return {p: sorted(found[p]) for p in PROVINCES if p in found}


async def get_market(session: AsyncSession, slug: str) -> Market:
    market = await session.scalar(select(Market).where(Market.slug == slug))
    if market is None:
        raise MarketNotFound(market=slug)
    return market


async def get_market_by_id(session: AsyncSession, market_id: int) -> Market:
    market = await session.get(Market, market_id)
    if market is None:
        raise MarketNotFound(market=market_id)
    return market


async def all_markets(session: AsyncSession) -> list[Market]:
    return sorted(await session.scalars(select(Market)), key=_province_order)


def by_province(markets: Sequence[Market]) -> list[tuple[str, list[Market]]]:
    """Markets in region order, grouped by 시/도 (for a picker's option groups)."""
    groups: dict[str, list[Market]] = {}
    for market in sorted(markets, key=_province_order):
        groups.setdefault(market.province, []).append(market)
    return list(groups.items())


async def market_of_store(session: AsyncSession, store_id: int) -> Market | None:
    return await session.scalar(
        select(Market)
        .join(StoreMarket, StoreMarket.market_id == Market.id)
        .where(StoreMarket.store_id == store_id)
    )


async def set_store_market(session: AsyncSession, store: Store, market_id: int | None) -> None:
    """Put a store in a market (None: independent). The store's `market` and `region`
    text follow, so pages and figures that group by them keep working."""
    link = await session.get(StoreMarket, store.id)
    if market_id is None:
        if link is not None:
            await session.delete(link)
            store.market = ""
        return
    market = await session.get(Market, market_id)
    if market is None:
        raise BadMarketInput(N_("Choose a market from the list."), field="market_id")
    if link is None:
        session.add(StoreMarket(store_id=store.id, market_id=market.id))
    else:
        link.market_id = market.id
    store.market = market.name
    store.region = market.region
    await session.flush()


@dataclass
class MarketPage:
    market: Market
    stores: list[Store]
    live: list[Show] = field(default_factory=list)
    upcoming: list[Show] = field(default_factory=list)
    replays: list[Show] = field(default_factory=list)


async def stores_of_market(session: AsyncSession, market_id: int) -> list[Store]:
    return list(
        await session.scalars(
            select(Store)
            .join(StoreMarket, StoreMarket.store_id == Store.id)
            .where(StoreMarket.market_id == market_id)
            .order_by(Store.name)
        )
    )


async def market_page(session: AsyncSession, market: Market) -> MarketPage:
    stores = await stores_of_market(session, market.id)
    page = MarketPage(market, stores)
    ids = [s.id for s in stores]
    if not ids:
        return page
    base = (
        select(Show)
        .where(Show.store_id.in_(ids), Show.approval == Approval.APPROVED)
        .options(selectinload(Show.store), selectinload(Show.creators))
    )
    page.live = list(
        await session.scalars(base.where(Show.state == ShowState.LIVE).order_by(Show.started_at))
    )
    page.upcoming = list(
        await session.scalars(
            base.where(Show.state == ShowState.SCHEDULED).order_by(Show.scheduled_start).limit(12)
        )
    )
    page.replays = list(
        await session.scalars(
            base.where(Show.state == ShowState.ENDED, Show.replay_hidden.is_(False))
            .order_by(Show.ended_at.desc())
            .limit(RECENT_REPLAYS)
        )
    )
    return page


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine); plenty for "which market is nearest"."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


async def nearest_market(session: AsyncSession, lat: float, lng: float) -> Market | None:
    placed = await session.scalars(
        select(Market).where(Market.latitude.is_not(None), Market.longitude.is_not(None))
    )
    return min(
        placed,
        key=lambda m: distance_km(lat, lng, m.latitude or 0.0, m.longitude or 0.0),
        default=None,
    )


def live_near(live: Sequence[Show], region: str) -> list[Show]:
    """For the home page: live shows of stores in a market, the visitor's 시/도 first.
    Uses the store's `market` and `region` text, which `set_store_market` keeps."""
    in_markets = [s for s in live if s.store.market]
    return sorted(in_markets, key=lambda s: not (region and s.store.region.startswith(region)))
