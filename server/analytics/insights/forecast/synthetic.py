"""A generated history of shows with a known structure, for the backtest and the demo.

Peak viewers grow with the store's following, its market, the time of day (lunch and
evening are busy, mornings quiet), the weekday (weekends busier), the show's length and
the crew's experience; orders follow from the viewers, the category's conversion, the
line-up and flash sales; revenue from the orders and prices. Noise on top, so no model
can be perfect, and stores keep favourite slots, as merchants do.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from server.analytics.insights.peers import market_key
from server.analytics.insights.records import PastShow, ShowPlan
from server.i18n import SEOUL

# (market, region, how many come to shows there, relative)
MARKETS = (
    ("망원시장", "서울 마포구", 1.15),
    ("광장시장", "서울 종로구", 1.3),
    ("통인시장", "서울 종로구", 0.9),
    ("성수 수제화거리", "서울 성동구", 1.0),
    ("국제시장", "부산 중구", 1.1),
    ("서문시장", "대구 중구", 0.95),
    ("남부시장", "전주 완산구", 0.85),
    ("중앙시장", "강원 강릉시", 0.8),
)
# category: (share of peak viewers who order, typical price in KRW)
CATEGORIES = {
    "food": (0.22, 18_000),
    "produce": (0.18, 27_000),
    "crafts": (0.10, 42_000),
    "fashion": (0.12, 35_000),
    "beauty": (0.15, 24_000),
}
HOUR_EFFECT = {
    8: 0.4, 9: 0.45, 10: 0.6, 11: 0.75, 12: 0.95, 13: 0.85, 14: 0.6, 15: 0.6,
    16: 0.65, 17: 0.75, 18: 0.9, 19: 1.2, 20: 1.4, 21: 1.3, 22: 1.0, 23: 0.7,
}  # fmt: skip
WEEKDAY_EFFECT = (0.9, 0.95, 1.0, 1.05, 1.1, 1.25, 1.15)  # Monday first
SALE_LIFT = 0.35  # each flash sale (up to three) adds 35 % to the orders
VIEWER_NOISE, ORDER_NOISE = 0.25, 0.15


@dataclass(frozen=True)
class WorldStore:
    id: int
    market: str
    region: str
    category: str
    following: float  # typical peak viewers at an average slot
    creators: tuple[int, ...]
    favourite_slots: tuple[tuple[int, int], ...]  # (weekday, hour) in Seoul

    @property
    def market_effect(self) -> float:
        return next((e for m, r, e in MARKETS if (m, r) == (self.market, self.region)), 1.0)


def random_stores(rng: np.random.Generator, count: int, creators: int) -> list[WorldStore]:
    stores = []
    for store_id in range(1, count + 1):
        market, region, _ = MARKETS[int(rng.integers(len(MARKETS)))]
        crew = rng.choice(np.arange(1, creators + 1), size=int(rng.integers(1, 4)), replace=False)
        stores.append(
            WorldStore(
                id=store_id,
                market=market,
                region=region,
                category=str(rng.choice(sorted(CATEGORIES))),
                following=float(rng.lognormal(math.log(45), 0.5)),
                creators=tuple(int(c) for c in crew),
                favourite_slots=favourite_slots(rng),
            )
        )
    return stores


def favourite_slots(rng: np.random.Generator) -> tuple[tuple[int, int], ...]:
    """Two or three regular slots; merchants go live when their audience is about, so
    the busy hours are picked more often (not always: habits and shop hours differ)."""
    hours = sorted(HOUR_EFFECT)
    weights = np.asarray([HOUR_EFFECT[h] ** 2 for h in hours])
    picked = rng.choice(hours, size=int(rng.integers(2, 4)), p=weights / weights.sum())
    return tuple((int(rng.integers(7)), int(h)) for h in picked)


def _start(rng: np.random.Generator, store: WorldStore, day: dt.date) -> dt.datetime:
    if rng.random() < 0.7:
        weekday, hour = store.favourite_slots[int(rng.integers(len(store.favourite_slots)))]
        day = day + dt.timedelta(days=(weekday - day.weekday()) % 7)
    else:
        hour = int(rng.choice(sorted(HOUR_EFFECT)))
    minute = int(rng.choice((0, 0, 0, 30)))
    local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SEOUL)
    return local.astimezone(dt.UTC)


def _outcome(
    rng: np.random.Generator, store: WorldStore, plan: ShowPlan, crew_done: float
) -> tuple[int, int, int]:
    local = plan.starts_at.astimezone(SEOUL)
    crew = 1 + 0.3 * math.log1p(crew_done) / math.log(11)
    length = (plan.minutes / 60) ** 0.3
    mean_peak = (
        store.following
        * store.market_effect
        * HOUR_EFFECT.get(local.hour, 0.4)
        * WEEKDAY_EFFECT[local.weekday()]
        * crew
        * length
    )
    peak = max(1, round(mean_peak * rng.lognormal(0, VIEWER_NOISE)))
    conversion, _ = CATEGORIES[store.category]
    lineup = 1 + 0.06 * (plan.product_count - 3)
    sales = 1 + SALE_LIFT * min(plan.flash_sales, 3)
    rate = peak * conversion * lineup * sales * (plan.minutes / 60) ** 0.4
    orders = int(rng.poisson(rate * rng.lognormal(0, ORDER_NOISE)))
    revenue = sum(int(plan.mean_price * rng.uniform(1.0, 1.6)) for _ in range(orders))
    return peak, orders, revenue


def _crew(rng: np.random.Generator, creators: tuple[int, ...]) -> tuple[int, ...]:
    if not creators:
        return ()
    size = int(rng.integers(1, len(creators) + 1))
    return tuple(sorted(int(c) for c in rng.choice(creators, size=size, replace=False)))


def generate(
    rng: np.random.Generator,
    stores: Sequence[WorldStore],
    start: dt.date,
    days: int,
    shows_per_week: float,
) -> list[PastShow]:
    """Shows of every store over `days` days from `start`, oldest first."""
    planned: list[tuple[dt.datetime, WorldStore]] = []
    for store in stores:
        weeks = days / 7
        for _ in range(int(rng.poisson(shows_per_week * weeks))):
            day = start + dt.timedelta(days=int(rng.integers(max(1, days - 6))))
            planned.append((_start(rng, store, day), store))
    planned.sort(key=lambda p: (p[0], p[1].id))
    done: dict[int, int] = {}
    busy_until: dict[int | str, dt.datetime] = {}
    shows: list[PastShow] = []
    for starts_at, store in planned:
        crew = _crew(rng, store.creators)
        # A store runs one show at a time, and so does each creator.
        busy: list[int | str] = [f"s{store.id}", *crew]
        if any(starts_at < busy_until.get(k, starts_at) for k in busy):
            continue
        for k in busy:
            busy_until[k] = starts_at + dt.timedelta(hours=2)
        _, price = CATEGORIES[store.category]
        plan = ShowPlan(
            store_id=store.id,
            starts_at=starts_at,
            minutes=int(rng.choice((30, 45, 60, 60, 90, 120))),
            market=market_key(store.market, store.region),
            category=store.category,
            product_count=int(rng.integers(1, 7)),
            mean_price=int(price * rng.uniform(0.7, 1.4)) // 100 * 100,
            flash_sales=int(rng.choice((0, 0, 1, 1, 2))),
            creator_ids=crew,
        )
        crew_done = sum(done.get(c, 0) for c in crew) / max(1, len(crew))
        peak, orders, revenue = _outcome(rng, store, plan, crew_done)
        for c in crew:
            done[c] = done.get(c, 0) + 1
        shows.append(PastShow(len(shows) + 1, plan, peak, orders, revenue))
    return shows
