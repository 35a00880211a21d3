"""Checkout's figures for the analytics: paid orders, revenue net of refunds, buyers and
revenue per product, per show."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from checkout.models import Order, OrderStatus
from server.analytics.interfaces import SalesFigures

# Orders that were paid at some point (a refunded one still counts, net of the refund).
SOLD = (
    OrderStatus.PAID,
    OrderStatus.PREPARING,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.REFUNDED,
)


async def sales_figures(session: AsyncSession, show_ids: list[int]) -> dict[int, SalesFigures]:
    orders = await session.scalars(
        select(Order)
        .where(Order.show_id.in_(show_ids), Order.status.in_(SOLD))
        .options(selectinload(Order.lines))
    )
    figures: dict[int, SalesFigures] = {}
    for order in orders:
        assert order.show_id is not None
        net = order.total - order.refunded_amount
        if net <= 0:
            # Refunded in full (for instance paid after the stock was gone): never sold.
            continue
        f = figures.setdefault(order.show_id, SalesFigures())
        f.orders += 1
        f.revenue += net
        f.buyer_ids.add(order.user_id)
        # A partial refund is spread over the lines in proportion to what they cost.
        for line in order.lines:
            share = line.subtotal * net // order.total if order.total else 0
            f.revenue_by_product[line.product_name] = (
                f.revenue_by_product.get(line.product_name, 0) + share
            )
    return figures
