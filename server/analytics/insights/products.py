"""What sells: each product of a store across its ended shows. How often and how long it
was pinned, orders placed while it was pinned and while it was not, conversion while
pinned, revenue per pinned minute, and the flash-sale uplift (orders per minute during a
sale against the same number of minutes just before it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from server.analytics.insights.sources import SaleWindow, SoldLine
from server.analytics.insights.timeline import MINUTE_MS, Pin, ShowSpan, Visit


@dataclass
class ProductInsight:
    product_id: int
    name: str
    times_pinned: int = 0
    pinned_ms: int = 0
    orders_pinned: set[int] = field(default_factory=set)
    orders_unpinned: set[int] = field(default_factory=set)
    revenue_pinned: int = 0
    revenue: int = 0
    viewers_pinned: int = 0  # per show, the viewers who were watching while it was up
    buyers_pinned: set[tuple[int, int]] = field(default_factory=set)  # (show, buyer)
    sale_ms: int = 0
    sale_orders: set[int] = field(default_factory=set)
    before_ms: int = 0
    before_orders: set[int] = field(default_factory=set)

    @property
    def minutes_pinned(self) -> float:
        return round(self.pinned_ms / MINUTE_MS, 1)

    @property
    def orders(self) -> int:
        return len(self.orders_pinned | self.orders_unpinned)

    @property
    def conversion_pinned(self) -> float | None:
        """Buyers while pinned ÷ viewers who saw it pinned."""
        return len(self.buyers_pinned) / self.viewers_pinned if self.viewers_pinned else None

    @property
    def orders_per_pinned_minute(self) -> float | None:
        return len(self.orders_pinned) * MINUTE_MS / self.pinned_ms if self.pinned_ms else None

    @property
    def revenue_per_pinned_minute(self) -> int | None:
        return round(self.revenue_pinned * MINUTE_MS / self.pinned_ms) if self.pinned_ms else None

    @property
    def sale_rate(self) -> float | None:
        return len(self.sale_orders) * MINUTE_MS / self.sale_ms if self.sale_ms else None

    @property
    def before_rate(self) -> float | None:
        return len(self.before_orders) * MINUTE_MS / self.before_ms if self.before_ms else None

    @property
    def uplift(self) -> float | None:
        """How many times the orders per minute grew during its flash sales."""
        during, before = self.sale_rate, self.before_rate
        return during / before if during is not None and before else None


def _watching(visits: Sequence[Visit], pins: Sequence[Pin]) -> int:
    """Unique viewers whose visit overlaps any of these pins (of one show)."""
    return len(
        {
            v.viewer_key
            for v in visits
            if any(v.joined_ms < p.end_ms and p.start_ms < v.left_ms for p in pins)
        }
    )


def _add_sales(
    insights: dict[int, ProductInsight],
    spans: dict[int, ShowSpan],
    lines: Sequence[SoldLine],
    windows: Sequence[SaleWindow],
) -> None:
    for window in windows:
        span = spans.get(window.show_id)
        item = insights.get(window.product_id)
        if span is None or item is None:
            continue
        start = max(0, span.offset_of(window.starts_at))
        end = min(span.length_ms, span.offset_of(window.ends_at))
        if end <= start:
            continue
        before = max(0, start - (end - start))
        item.sale_ms += end - start
        item.before_ms += start - before
        for line in lines:
            if line.show_id != window.show_id or line.product_id != window.product_id:
                continue
            at = span.offset_of(line.placed_at)
            if start <= at < end:
                item.sale_orders.add(line.order_id)
            elif before <= at < start:
                item.before_orders.add(line.order_id)


def product_insights(
    spans: Sequence[ShowSpan],
    pins: Sequence[Pin],
    lines: Sequence[SoldLine],
    windows: Sequence[SaleWindow],
    visits: dict[int, list[Visit]],
) -> list[ProductInsight]:
    """Ranked: products that were pinned by revenue per pinned minute, then the others
    by revenue."""
    by_show = {s.show_id: s for s in spans}
    insights: dict[int, ProductInsight] = {}
    pins_by: dict[tuple[int, int], list[Pin]] = {}
    for pin in pins:
        if pin.show_id not in by_show:
            continue
        item = insights.setdefault(pin.product_id, ProductInsight(pin.product_id, pin.name))
        item.times_pinned += 1
        item.pinned_ms += pin.end_ms - pin.start_ms
        pins_by.setdefault((pin.show_id, pin.product_id), []).append(pin)
    for (show_id, product_id), show_pins in pins_by.items():
        insights[product_id].viewers_pinned += _watching(visits.get(show_id, []), show_pins)
    for line in lines:
        span = by_show.get(line.show_id)
        if span is None:
            continue
        item = insights.setdefault(
            line.product_id, ProductInsight(line.product_id, line.product_name)
        )
        at = span.offset_of(line.placed_at)
        item.revenue += line.revenue
        if any(p.covers(at) for p in pins_by.get((line.show_id, line.product_id), [])):
            item.orders_pinned.add(line.order_id)
            item.revenue_pinned += line.revenue
            item.buyers_pinned.add((line.show_id, line.buyer_id))
        else:
            item.orders_unpinned.add(line.order_id)
    _add_sales(insights, by_show, lines, windows)
    return sorted(
        insights.values(),
        key=lambda i: (
            i.pinned_ms == 0,
            -(i.revenue_per_pinned_minute or 0),
            -i.revenue,
            i.name,
        ),
    )
