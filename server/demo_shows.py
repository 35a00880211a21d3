"""One demo show of the past in full: who watched from when to when, what was pinned,
the flash sales, the orders and the journal, as rows ready to insert. `make run` uses it
(through `server/demo_history.py`) so that every insight has something to show.

Viewers mostly come early and drift away, some leave as the pin changes, about a third
stay to the end, and a share came to an earlier show of the store; orders fall mostly
while their product is pinned and faster during its flash sale.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from server.analytics.insights.records import PastShow

SAMPLE_MS = 30_000
MINUTE_MS = 60_000
VIEWERS_PER_PEAK = 2.4
STAY_TO_END = 0.35
LEAVE_AT_PIN_CHANGE = 0.3
BUY_WHILE_PINNED = 0.75
BUY_IN_SALE = 0.12
SALE_DISCOUNT = 0.8


@dataclass(frozen=True)
class DemoProduct:
    id: int
    name: str
    price: int


@dataclass(frozen=True)
class Visit:
    key: str
    user_id: int | None
    joined_ms: int
    left_ms: int


@dataclass(frozen=True)
class PinSpan:
    product: DemoProduct
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Sale:
    product: DemoProduct
    start_ms: int
    end_ms: int
    price: int


@dataclass(frozen=True)
class Purchase:
    at_ms: int
    buyer_id: int
    product: DemoProduct
    quantity: int
    sale: int | None  # index into the show's sales


@dataclass
class ShowDetail:
    past: PastShow
    lineup: list[DemoProduct]
    pins: list[PinSpan] = field(default_factory=list)
    sales: list[Sale] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    samples: list[tuple[int, int, int]] = field(default_factory=list)  # (ms, viewers, hearts)
    purchases: list[Purchase] = field(default_factory=list)

    @property
    def length_ms(self) -> int:
        return self.past.plan.minutes * MINUTE_MS


def anonymous_key(seed: str) -> str:
    return "b" + hashlib.sha256(seed.encode()).hexdigest()[:24]


def plan_pins(rng: random.Random, lineup: Sequence[DemoProduct], length_ms: int) -> list[PinSpan]:
    """Products pinned one after another, 4–12 minutes each, sometimes a short gap."""
    pins, at, turn = [], rng.randint(1, 2) * MINUTE_MS, 0
    while lineup and at < length_ms - 2 * MINUTE_MS:
        end = min(length_ms - MINUTE_MS, at + rng.randint(4, 12) * MINUTE_MS)
        pins.append(PinSpan(lineup[turn % len(lineup)], at, end))
        at = end + (MINUTE_MS if rng.random() < 0.15 else 0)
        turn += 1
    return pins


def plan_sales(rng: random.Random, pins: Sequence[PinSpan], count: int) -> list[Sale]:
    sales = []
    for i in sorted(rng.sample(range(len(pins)), min(count, len(pins)))):
        pin = pins[i]
        start = pin.start_ms + MINUTE_MS
        end = min(pin.end_ms, start + rng.randint(3, 6) * MINUTE_MS)
        if end > start:
            price = max(100, int(pin.product.price * SALE_DISCOUNT) // 100 * 100)
            sales.append(Sale(pin.product, start, end, price))
    return sales


def _leave(rng: random.Random, joined: int, length_ms: int, pin_ends: Sequence[int]) -> int:
    if rng.random() < STAY_TO_END:
        return length_ms
    if pin_ends and rng.random() < LEAVE_AT_PIN_CHANGE:
        end = rng.choice(pin_ends)
        if end > joined + MINUTE_MS:
            return min(length_ms, end + rng.randrange(50_000))
    stay = max(MINUTE_MS, int(rng.expovariate(1 / (length_ms * 0.35))))
    return min(length_ms, joined + stay)


NewViewer = Callable[[int], tuple[str, int | None]]


def plan_visits(
    rng: random.Random,
    unique: int,
    length_ms: int,
    pins: Sequence[PinSpan],
    viewers: tuple[Sequence[tuple[str, int | None]], NewViewer],
) -> list[Visit]:
    """`unique` viewers: some from the store's earlier viewers (returning), the rest new."""
    earlier, new_viewer = viewers
    pin_ends = [p.end_ms for p in pins]
    visits: dict[str, Visit] = {}
    for n in range(unique):
        key, user_id = rng.choice(earlier) if earlier and rng.random() < 0.3 else new_viewer(n)
        if key in visits:
            continue  # one stay per viewer
        joined = int(rng.uniform(0, 0.1 if rng.random() < 0.6 else 0.85) * length_ms)
        visits[key] = Visit(key, user_id, joined, _leave(rng, joined, length_ms, pin_ends))
    return list(visits.values())


def concurrency(visits: Sequence[Visit], length_ms: int) -> list[tuple[int, int]]:
    joins = np.sort(np.asarray([v.joined_ms for v in visits], dtype=np.int64))
    leaves = np.sort(np.asarray([v.left_ms for v in visits], dtype=np.int64))
    times = np.arange(SAMPLE_MS, length_ms + 1, SAMPLE_MS, dtype=np.int64)
    counts = np.searchsorted(joins, times, "right") - np.searchsorted(leaves, times, "right")
    return [(int(t), int(c)) for t, c in zip(times, counts, strict=True)]


def plan_purchases(
    rng: random.Random, detail: ShowDetail, shoppers: Sequence[int]
) -> list[Purchase]:
    buyers = [v for v in detail.visits if v.user_id is not None]
    purchases = []
    for _ in range(detail.past.orders):
        if detail.sales and rng.random() < BUY_IN_SALE:
            index = rng.randrange(len(detail.sales))
            sale = detail.sales[index]
            at, product, on_sale = rng.randrange(sale.start_ms, sale.end_ms), sale.product, index
        elif detail.pins and rng.random() < BUY_WHILE_PINNED:
            pin = rng.choice(detail.pins)
            at, product, on_sale = rng.randrange(pin.start_ms, pin.end_ms), pin.product, None
        else:
            at = rng.randrange(MINUTE_MS, max(MINUTE_MS + 1, detail.length_ms - MINUTE_MS))
            product, on_sale = rng.choice(detail.lineup), None
        watching = [b for b in buyers if b.joined_ms <= at < b.left_ms]
        buyer = rng.choice(watching).user_id if watching else rng.choice(shoppers)
        assert buyer is not None
        quantity = 2 if rng.random() < 0.15 else 1
        purchases.append(Purchase(at, buyer, product, quantity, on_sale))
    return sorted(purchases, key=lambda p: p.at_ms)


def build_detail(
    rng: random.Random,
    past: PastShow,
    products: Sequence[DemoProduct],
    viewers: tuple[Sequence[tuple[str, int | None]], NewViewer],
    shoppers: Sequence[int],
) -> ShowDetail:
    count = max(1, min(len(products), past.plan.product_count))
    detail = ShowDetail(past, rng.sample(list(products), count))
    detail.pins = plan_pins(rng, detail.lineup, detail.length_ms)
    detail.sales = plan_sales(rng, detail.pins, past.plan.flash_sales)
    unique = max(1, round(past.peak_viewers * VIEWERS_PER_PEAK))
    detail.visits = plan_visits(rng, unique, detail.length_ms, detail.pins, viewers)
    hearts = 0
    for at, count_now in concurrency(detail.visits, detail.length_ms):
        hearts += round(count_now * 0.3 * rng.random() * 2)
        detail.samples.append((at, count_now, hearts))
    detail.purchases = plan_purchases(rng, detail, shoppers)
    return detail
