"""Checkout's side of the merchant insights: what was sold, offered and put on flash
sale in past shows, as the plain records of `server.analytics.insights.sources`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.models import CATEGORY_LABELS, FlashSale, LineupItem, Order, OrderLine, Product
from checkout.stats import SOLD
from server.analytics.insights.sources import (
    LineupFacts,
    ProductFacts,
    SaleWindow,
    ShowSales,
    SoldLine,
)

# Few enough bound parameters per query for SQLite and asyncpg alike.
CHUNK = 900


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _facts(product: Product) -> ProductFacts:
    return ProductFacts(
        id=product.id,
        store_id=product.store_id,
        name=product.name,
        price=product.price,
        category=product.category,
    )


class CheckoutSalesHistory:
    """Stateless: every method reads through the session it is given."""

    category_labels: Mapping[str, str] = CATEGORY_LABELS

    async def show_sales(self, session: AsyncSession, show_ids: list[int]) -> dict[int, ShowSales]:
        net = Order.total - Order.refunded_amount
        out: dict[int, ShowSales] = {}
        for chunk in _chunks(show_ids):
            rows = await session.execute(
                select(Order.show_id, func.count(Order.id), func.sum(net))
                .where(Order.show_id.in_(chunk), Order.status.in_(SOLD), net > 0)
                .group_by(Order.show_id)
            )
            for show_id, orders, revenue in rows:
                if show_id is not None:
                    out[show_id] = ShowSales(orders=int(orders), revenue=int(revenue or 0))
        return out

    async def sold_lines(self, session: AsyncSession, show_ids: list[int]) -> list[SoldLine]:
        net = Order.total - Order.refunded_amount
        lines: list[SoldLine] = []
        for chunk in _chunks(show_ids):
            rows = await session.execute(
                select(Order, OrderLine)
                .join(OrderLine, OrderLine.order_id == Order.id)
                .where(Order.show_id.in_(chunk), Order.status.in_(SOLD), net > 0)
                .order_by(Order.created_at, OrderLine.id)
            )
            for order, line in rows:
                assert order.show_id is not None
                # A partial refund is spread over the lines in proportion to their cost,
                # as in the per-show revenue.
                share = line.subtotal * (order.total - order.refunded_amount) // order.total
                lines.append(
                    SoldLine(
                        show_id=order.show_id,
                        order_id=order.id,
                        buyer_id=order.user_id,
                        product_id=line.product_id,
                        product_name=line.product_name,
                        quantity=line.quantity,
                        revenue=share,
                        placed_at=order.created_at,
                    )
                )
        return lines

    async def sale_windows(self, session: AsyncSession, show_ids: list[int]) -> list[SaleWindow]:
        windows: list[SaleWindow] = []
        for chunk in _chunks(show_ids):
            sales = await session.scalars(
                select(FlashSale).where(FlashSale.show_id.in_(chunk)).order_by(FlashSale.starts_at)
            )
            windows.extend(
                SaleWindow(s.show_id, s.product_id, s.starts_at, s.ends_at) for s in sales
            )
        return windows

    async def lineups(self, session: AsyncSession, show_ids: list[int]) -> dict[int, LineupFacts]:
        products: dict[int, list[ProductFacts]] = {}
        sales: Counter[int] = Counter()
        for chunk in _chunks(show_ids):
            rows = await session.execute(
                select(LineupItem.show_id, Product)
                .join(Product, Product.id == LineupItem.product_id)
                .where(LineupItem.show_id.in_(chunk))
                .order_by(LineupItem.show_id, LineupItem.position, LineupItem.id)
            )
            for show_id, product in rows:
                products.setdefault(show_id, []).append(_facts(product))
            counts = await session.execute(
                select(FlashSale.show_id, func.count(FlashSale.id))
                .where(FlashSale.show_id.in_(chunk))
                .group_by(FlashSale.show_id)
            )
            sales.update({show_id: int(n) for show_id, n in counts})
        return {
            show_id: LineupFacts(tuple(products.get(show_id, ())), sales[show_id])
            for show_id in set(products) | set(sales)
        }

    async def store_products(self, session: AsyncSession, store_id: int) -> list[ProductFacts]:
        rows = await session.scalars(
            select(Product)
            .where(Product.store_id == store_id, Product.archived.is_(False))
            .order_by(Product.name)
        )
        return [_facts(p) for p in rows]

    async def store_categories(self, session: AsyncSession) -> dict[int, str]:
        rows = await session.execute(
            select(Product.store_id, Product.category, func.count(Product.id))
            .where(Product.category != "")
            .group_by(Product.store_id, Product.category)
        )
        counts: dict[int, dict[str, int]] = {}
        for store_id, category, count in rows:
            counts.setdefault(store_id, {})[category] = int(count)
        # The most common category wins; a tie goes to the name that sorts first, so the
        # answer does not depend on the database's row order.
        return {
            store_id: min(by_category.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            for store_id, by_category in counts.items()
        }
