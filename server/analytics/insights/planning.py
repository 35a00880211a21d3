"""A show the merchant plans, as the forecast reads it: when, how long, which products,
which creators and how many flash sales. Filled in from one of the store's scheduled
shows, or typed into the form."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.accounts import service as accounts
from server.analytics.insights import history
from server.analytics.insights.errors import BadPlan
from server.analytics.insights.peers import StoreProfile
from server.analytics.insights.records import ShowPlan
from server.analytics.insights.sources import ProductFacts, SalesHistory
from server.db import utcnow
from server.errors import N_
from server.i18n import SEOUL, parse_seoul_input
from server.limits import is_whole
from server.shows.models import MAX_DURATION_MINUTES, Show, ShowState

MIN_MINUTES = 10
MAX_FLASH_SALES = 5
DEFAULT_PRODUCTS = 5


@dataclass(frozen=True)
class PlanInput:
    starts_at: dt.datetime
    minutes: int
    product_ids: tuple[int, ...]
    creator_ids: tuple[int, ...]
    flash_sales: int
    show_id: int | None = None  # the scheduled show it was filled in from


@dataclass(frozen=True)
class CrewMember:
    id: int
    name: str
    shows: int  # ended shows done so far, any store


@dataclass(frozen=True)
class PlanChoices:
    products: list[ProductFacts]
    crew: list[CrewMember]
    upcoming: list[Show]


def _whole(raw: str, field: str, low: int, high: int) -> int:
    raw = raw.strip()
    if not is_whole(raw) or not low <= int(raw) <= high:
        raise BadPlan(
            N_("Enter a whole number from %(low)d to %(high)d."), field=field, low=low, high=high
        )
    return int(raw)


def _ids(raw: list[str]) -> tuple[int, ...]:
    return tuple(sorted({int(v) for v in raw if is_whole(v.strip())}))


def parse_plan(
    start: str, minutes: str, products: list[str], creators: list[str], flash_sales: str
) -> PlanInput:
    starts_at = parse_seoul_input(start)
    if starts_at is None:
        raise BadPlan(N_("Enter the start as a date and time."), field="start")
    return PlanInput(
        starts_at=starts_at,
        minutes=_whole(minutes, "minutes", MIN_MINUTES, MAX_DURATION_MINUTES),
        product_ids=_ids(products),
        creator_ids=_ids(creators),
        flash_sales=_whole(flash_sales or "0", "flash_sales", 0, MAX_FLASH_SALES),
    )


async def plan_choices(session: AsyncSession, sales: SalesHistory, store_id: int) -> PlanChoices:
    creators = await accounts.creators_of_store(session, store_id)
    done = await history.creator_show_counts(session, [c.id for c in creators])
    upcoming = await session.scalars(
        select(Show)
        .where(
            Show.store_id == store_id,
            Show.state == ShowState.SCHEDULED,
            Show.scheduled_start > utcnow(),
        )
        .order_by(Show.scheduled_start)
        .limit(10)
        .options(selectinload(Show.creators))
    )
    return PlanChoices(
        products=await sales.store_products(session, store_id),
        crew=[CrewMember(c.id, c.display_name, done.get(c.id, 0)) for c in creators],
        upcoming=list(upcoming),
    )


def _tomorrow_evening() -> dt.datetime:
    day = (utcnow().astimezone(SEOUL) + dt.timedelta(days=1)).date()
    return dt.datetime(day.year, day.month, day.day, 20, tzinfo=SEOUL).astimezone(dt.UTC)


async def default_plan(
    session: AsyncSession, sales: SalesHistory, choices: PlanChoices, show_id: int | None
) -> PlanInput:
    """The chosen scheduled show (else the next one) as planned; without any, tomorrow
    at 20:00 for an hour with the store's first products and all its creators."""
    show = next((s for s in choices.upcoming if s.id == show_id), None)
    show = show or (choices.upcoming[0] if choices.upcoming else None)
    if show is not None:
        lineup = (await sales.lineups(session, [show.id])).get(show.id)
        products = tuple(p.id for p in lineup.products) if lineup else ()
        return PlanInput(
            starts_at=show.scheduled_start,
            minutes=show.duration_minutes,
            product_ids=products or tuple(p.id for p in choices.products[:DEFAULT_PRODUCTS]),
            creator_ids=tuple(c.id for c in show.creators),
            flash_sales=1,
            show_id=show.id,
        )
    return PlanInput(
        starts_at=_tomorrow_evening(),
        minutes=60,
        product_ids=tuple(p.id for p in choices.products[:DEFAULT_PRODUCTS]),
        creator_ids=tuple(c.id for c in choices.crew),
        flash_sales=1,
    )


def show_plan(
    plan: PlanInput, store_id: int, profile: StoreProfile, choices: PlanChoices
) -> ShowPlan:
    products = {p.id: p for p in choices.products}
    if any(i not in products for i in plan.product_ids):
        raise BadPlan(N_("Choose products of your own store."), field="products")
    crew = {c.id for c in choices.crew}
    if any(i not in crew for i in plan.creator_ids):
        raise BadPlan(N_("Choose creators who work with your store."), field="creators")
    chosen = [products[i] for i in plan.product_ids]
    categories = Counter(p.category for p in chosen if p.category)
    category = (
        min(categories.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        if categories
        else profile.category
    )
    return ShowPlan(
        store_id=store_id,
        starts_at=plan.starts_at,
        minutes=plan.minutes,
        market=profile.market_key,
        category=category,
        product_count=len(chosen),
        mean_price=round(sum(p.price for p in chosen) / len(chosen)) if chosen else 0,
        flash_sales=plan.flash_sales,
        creator_ids=plan.creator_ids,
    )
