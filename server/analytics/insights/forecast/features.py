"""The inputs of the forecast, as columns the models read, grouped so a forecast can say
which inputs moved it: the weekday, the time of day, the length, the line-up, the
category, flash sales, the market, the store's own track record and the crew's
experience.

A show's track-record columns only ever use shows that ended before it started
(`Track` is the running history), so training rows see what a forecast would have seen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from server.analytics.insights.peers import enough_stores
from server.analytics.insights.records import TARGETS, PastShow, ShowPlan, outcome
from server.i18n import SEOUL

# Hours of the day (Seoul) grouped as people's days are: morning, late morning, lunch,
# afternoon, early evening, evening, night.
HOUR_BLOCKS = ((0, 10), (10, 12), (12, 14), (14, 17), (17, 19), (19, 21), (21, 24))
GROUPS = (
    "weekday",
    "time",
    "length",
    "lineup",
    "category",
    "flash_sale",
    "market",
    "store",
    "crew",
)
# A market or a category gets its own column once it has this many shows to learn from,
# of at least `MIN_STORES` stores (what the model learns of a market is a figure of the
# stores there, so the k ≥ 5 rule holds for it too).
MIN_GROUP_SHOWS = 10
# What the models learn: revenue is forecast as orders × the value of an order, so that
# the two never pull in opposite directions.
ORDER_VALUE = "order_value"
MODEL_TARGETS = ("peak_viewers", "orders", ORDER_VALUE)
# How many shows' worth of the platform's average a store's own average is blended with
# (a store with one show is not judged by that show alone).
SHRINK_SHOWS = 3.0


def hour_block(hour: int) -> int:
    return next(i for i, (start, end) in enumerate(HOUR_BLOCKS) if start <= hour < end)


@dataclass(frozen=True)
class FeatureSpec:
    markets: tuple[str, ...]
    categories: tuple[str, ...]

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(group, name) of every column, in order."""
        cols = [("weekday", f"weekday_{d}") for d in range(7)]
        cols += [("time", f"hours_{s:02d}_{e:02d}") for s, e in HOUR_BLOCKS]
        cols += [("length", "log_minutes")]
        cols += [("lineup", "products"), ("lineup", "log_mean_price")]
        cols += [("category", f"category_{c}") for c in self.categories]
        cols += [("flash_sale", "flash_sales")]
        cols += [("market", f"market_{i}") for i in range(len(self.markets))]
        cols += [
            ("store", "log_store_orders"),
            ("store", "log_store_viewers"),
            ("store", "log_store_revenue"),
            ("store", "log_store_shows"),
        ]
        cols += [("crew", "crew_size"), ("crew", "log_crew_shows"), ("crew", "log_crew_best")]
        return cols


def _learnable(shows: Sequence[PastShow], key: Callable[[PastShow], str]) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    stores: dict[str, set[int]] = {}
    for show in shows:
        if value := key(show):
            counts[value] = counts.get(value, 0) + 1
            stores.setdefault(value, set()).add(show.store_id)
    return tuple(
        sorted(v for v, n in counts.items() if n >= MIN_GROUP_SHOWS and enough_stores(stores[v]))
    )


def spec_for(shows: Sequence[PastShow]) -> FeatureSpec:
    return FeatureSpec(
        markets=_learnable(shows, lambda s: s.plan.market),
        categories=_learnable(shows, lambda s: s.plan.category),
    )


@dataclass
class Sums:
    shows: int = 0
    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TARGETS, 0.0))

    def add(self, show: PastShow) -> None:
        self.shows += 1
        for target in TARGETS:
            self.totals[target] += outcome(show, target)

    def mean(self, target: str) -> float:
        return self.totals[target] / self.shows if self.shows else 0.0


@dataclass
class Track:
    """What was known at some moment: each store's and the platform's results so far and
    how many shows each creator had done."""

    platform: Sums = field(default_factory=Sums)
    stores: dict[int, Sums] = field(default_factory=dict)
    creators: dict[int, int] = field(default_factory=dict)

    def add(self, show: PastShow) -> None:
        self.platform.add(show)
        self.stores.setdefault(show.store_id, Sums()).add(show)
        for creator_id in show.plan.creator_ids:
            self.creators[creator_id] = self.creators.get(creator_id, 0) + 1

    def store_shows(self, store_id: int) -> int:
        sums = self.stores.get(store_id)
        return sums.shows if sums else 0

    def store_average(self, store_id: int, target: str) -> float:
        """The naive forecast: the store's own average so far, or the platform's for a
        store without a past show."""
        sums = self.stores.get(store_id)
        return sums.mean(target) if sums and sums.shows else self.platform.mean(target)

    def order_value(self, store_id: int | None) -> float:
        """Revenue per order of the store so far (the platform's for a store without)."""
        sums = self.stores.get(store_id) if store_id is not None else None
        if sums and sums.totals["orders"]:
            return sums.totals["revenue"] / sums.totals["orders"]
        orders = self.platform.totals["orders"]
        return self.platform.totals["revenue"] / orders if orders else 0.0

    def naive(self, store_id: int | None, target: str) -> float:
        """The naive forecast of `target`: the store's own record so far (the platform's
        for a store without one, or for `None`)."""
        if target == ORDER_VALUE:
            return self.order_value(store_id)
        if store_id is None:
            return self.platform.mean(target)
        return self.store_average(store_id, target)

    def store_blend(self, store_id: int, target: str) -> float:
        sums = self.stores.get(store_id) or Sums()
        prior = self.platform.mean(target)
        return (sums.totals[target] + SHRINK_SHOWS * prior) / (sums.shows + SHRINK_SHOWS)

    def crew(self, creator_ids: Sequence[int]) -> tuple[int, float, int]:
        """(crew size, shows done on average, shows done by the most experienced)."""
        done = [self.creators.get(c, 0) for c in creator_ids]
        return len(done), (sum(done) / len(done) if done else 0.0), max(done, default=0)


def columns(plan: ShowPlan, track: Track, spec: FeatureSpec) -> list[float]:
    local = plan.starts_at.astimezone(SEOUL)
    block = hour_block(local.hour)
    size, crew_mean, crew_best = track.crew(plan.creator_ids)
    row = [1.0 if d == local.weekday() else 0.0 for d in range(7)]
    row += [1.0 if b == block else 0.0 for b in range(len(HOUR_BLOCKS))]
    row += [math.log(max(plan.minutes, 1))]
    row += [float(plan.product_count), math.log1p(plan.mean_price)]
    row += [1.0 if plan.category == c else 0.0 for c in spec.categories]
    row += [float(min(plan.flash_sales, 3))]
    row += [1.0 if plan.market == m else 0.0 for m in spec.markets]
    row += [
        math.log1p(track.store_blend(plan.store_id, "orders")),
        math.log1p(track.store_blend(plan.store_id, "peak_viewers")),
        math.log1p(track.store_blend(plan.store_id, "revenue")),
        math.log1p(track.store_shows(plan.store_id)),
    ]
    row += [float(size), math.log1p(crew_mean), math.log1p(crew_best)]
    return row


@dataclass
class Rows:
    """Training rows: the columns of each show as they were known before it, its
    results, and the naive forecast (the store's own average) for comparison."""

    x: list[list[float]]
    y: dict[str, list[float]]
    naive: dict[str, list[float]]
    track: Track  # after the last show: what a forecast made now knows


def build_rows(shows_oldest_first: Sequence[PastShow], spec: FeatureSpec) -> Rows:
    """Rows for every target and for the value of an order (not a number for a show
    without orders: there is no order to learn the value of)."""
    track = Track()
    every = (*TARGETS, ORDER_VALUE)
    rows = Rows([], {t: [] for t in every}, {t: [] for t in every}, track)
    for show in shows_oldest_first:
        rows.x.append(columns(show.plan, track, spec))
        for target in TARGETS:
            rows.y[target].append(float(outcome(show, target)))
        rows.y[ORDER_VALUE].append(show.revenue / show.orders if show.orders else math.nan)
        for target in every:
            rows.naive[target].append(track.naive(show.store_id, target))
        track.add(show)
    return rows
