"""Orders: reading them, moving their status, marking payments, refunds, the merchant's
flow.

Every change of an order's status is a conditional UPDATE on the status it comes from,
so two actors (the webhook and the sweeper, two webhook deliveries) can never both
apply it. A caller that has the order loaded passes it in: what an UPDATE wrote is then
set on it (`remember`) instead of being read back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from checkout import catalog, stock
from checkout.errors import (
    BadCheckoutInput,
    IllegalOrderChange,
    OrderNotFound,
    RefundTooLarge,
    SoldOut,
)
from checkout.models import Order, OrderLine, OrderStatus, Refund
from checkout.stock import NO_SYNC, rowcount
from server.accounts.models import User
from server.db import utcnow
from server.errors import N_
from server.i18n import format_krw

# Why an order ended the way it did; shown to the shopper through the catalogs.
NOTE_DECLINED = N_("The card was declined; the reserved stock went back on sale.")
NOTE_EXPIRED = N_("The reservation expired before payment; the stock went back on sale.")
NOTE_CANCELLED = N_("The payment was cancelled; the stock went back on sale.")
NOTE_SOLD_OUT_REFUND = N_(
    "Your payment arrived after the last unit was sold, so it was refunded in full."
)
NOTE_MERCHANT_REFUND = N_("Refunded by the store.")
NOTE_WITHDRAWAL_REFUND = N_("Refunded: the store accepted your withdrawal (청약철회).")

# Merchant moves: target status -> statuses it may follow.
FLOW: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PREPARING: frozenset({OrderStatus.PAID}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.PAID, OrderStatus.PREPARING}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.SHIPPED}),
}
PAID_STATES = frozenset(
    {OrderStatus.PAID, OrderStatus.PREPARING, OrderStatus.SHIPPED, OrderStatus.DELIVERED}
)
# What the store's order list shows: orders whose money came in. A reservation waiting
# for its payment, or one whose payment never went through, is not an order to the store.
STORE_STATES = (
    OrderStatus.PAID,
    OrderStatus.PREPARING,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.REFUNDED,
)


async def get_order(session: AsyncSession, order_id: int) -> Order:
    order = await session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.lines), selectinload(Order.refunds))
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise OrderNotFound(order_id=order_id)
    return order


async def order_of_shopper(session: AsyncSession, user: User, order_id: int) -> Order:
    order = await get_order(session, order_id)
    if order.user_id != user.id:
        raise OrderNotFound(order_id=order_id)
    return order


async def order_of_store(session: AsyncSession, user: User, order_id: int) -> Order:
    order = await get_order(session, order_id)
    if not catalog.can_manage_store(user, order.store_id):
        raise OrderNotFound(order_id=order_id)
    return order


def remember(order: Order, **values: object) -> None:
    """Set on a loaded order what an UPDATE just wrote to its row (as committed state,
    so nothing is written twice)."""
    for name, value in values.items():
        set_committed_value(order, name, value)


async def with_lines(session: AsyncSession, order: Order) -> Order:
    """Load a pending order's lines (a pending order has no refunds)."""
    lines = await session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
    )
    remember(order, lines=list(lines), refunds=[])
    return order


async def _move(
    session: AsyncSession,
    order_id: int,
    frm: frozenset[OrderStatus],
    to: OrderStatus,
    **values: object,
) -> bool:
    result = await session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status.in_(frm))
        .values(status=to, **values),
        execution_options=NO_SYNC,
    )
    return rowcount(result) == 1


async def cancel_pending(
    session: AsyncSession, order_id: int, note: str, known: Order | None = None
) -> Order | None:
    """Cancel a pending order and put its units back; None if it was not pending.
    `known`: the order with its lines loaded, told what changed instead of read again."""
    if not await _move(
        session, order_id, frozenset({OrderStatus.PENDING}), OrderStatus.CANCELLED, note=note
    ):
        return None
    order = known if known is not None else await get_order(session, order_id)
    remember(order, status=OrderStatus.CANCELLED, note=note)
    for line in order.lines:
        await stock.give_back(session, line)
        await stock.unclaim_sale(session, line, order.user_id)
    return order


async def release(session: AsyncSession, order_id: int, note: str) -> bool:
    """Cancel a pending order and put its units back; False if it was not pending."""
    return await cancel_pending(session, order_id, note) is not None


async def _retake(session: AsyncSession, order: Order) -> bool:
    """Take a cancelled order's units again (its payment arrived late); all or nothing."""
    try:
        async with session.begin_nested():
            for line in order.lines:
                product = await catalog.get_product(session, line.product_id)
                variant = next((v for v in product.variants if v.id == line.variant_id), None)
                await stock.take(session, product, variant, line.quantity)
    except SoldOut:
        return False
    return True


@dataclass(frozen=True)
class PaidOutcome:
    order: Order
    newly_paid: bool = False
    # The payment came after the stock was gone: the caller refunds it.
    needs_refund: bool = False


async def mark_paid(
    session: AsyncSession, order_id: int, intent_id: str, known: Order | None = None
) -> PaidOutcome:
    """Record a payment that went through. `known`: the order, loaded with its lines, as
    the caller last saw it; the order is read again only if it was not pending."""
    now = utcnow()
    paid = {"paid_at": now, "payment_intent_id": intent_id}
    if await _move(session, order_id, frozenset({OrderStatus.PENDING}), OrderStatus.PAID, **paid):
        order = known if known is not None else await get_order(session, order_id)
        remember(order, status=OrderStatus.PAID, **paid)
        return PaidOutcome(order, newly_paid=True)
    order = await get_order(session, order_id)
    if order.status is not OrderStatus.CANCELLED:
        return PaidOutcome(order)  # paid already, or refunded: a replay changes nothing
    # Cancelled (expired or given up) but the money came: sell it if the units are there.
    if await _retake(session, order) and await _move(
        session, order_id, frozenset({OrderStatus.CANCELLED}), OrderStatus.PAID, note="", **paid
    ):
        remember(order, status=OrderStatus.PAID, note="", **paid)
        return PaidOutcome(order, newly_paid=True)
    return PaidOutcome(order, needs_refund=True)


async def record_refund(
    session: AsyncSession, order: Order, amount: int, refund_id: str, note: str
) -> Order:
    """Record a refund on an order loaded with its refunds."""
    refund = Refund(order_id=order.id, amount=amount, stripe_refund_id=refund_id, reason=note)
    session.add(refund)
    values: dict[str, object] = {"refunded_amount": order.refunded_amount + amount}
    if order.refunded_amount + amount >= order.total:
        values.update(status=OrderStatus.REFUNDED, note=note)
    await session.execute(
        update(Order).where(Order.id == order.id).values(**values), execution_options=NO_SYNC
    )
    await session.flush()
    remember(order, refunds=[*order.refunds, refund], **values)
    return order


def check_refund(order: Order, amount: object) -> int:
    if order.status not in PAID_STATES or not order.payment_intent_id:
        raise IllegalOrderChange(
            order_id=order.id, target=OrderStatus.REFUNDED.label, status=order.status.label
        )
    value = catalog.parse_int(amount, "amount", 1, catalog.MAX_PRICE)
    if value > order.refundable:
        raise RefundTooLarge(field="amount", max=format_krw(order.refundable))
    return value


async def advance(
    session: AsyncSession, actor: User, order: Order, target: str, tracking_number: str = ""
) -> Order:
    catalog.check_store(actor, order.store_id)
    try:
        to = OrderStatus(target)
    except ValueError:
        raise BadCheckoutInput(N_("Unknown order status."), field="status") from None
    if to not in FLOW:
        raise BadCheckoutInput(N_("Unknown order status."), field="status")
    values: dict[str, object] = {}
    if to is OrderStatus.SHIPPED:
        tracking = tracking_number.strip()
        if not 4 <= len(tracking) <= 40:
            raise BadCheckoutInput(N_("Enter the tracking number."), field="tracking_number")
        values["tracking_number"] = tracking
        values["shipped_at"] = utcnow()
    if to is OrderStatus.DELIVERED:
        values["delivered_at"] = utcnow()
    if not await _move(session, order.id, FLOW[to], to, **values):
        raise IllegalOrderChange(order_id=order.id, target=to.label, status=order.status.label)
    remember(order, status=to, **values)
    return order


async def expired_orders(
    session: AsyncSession, now: dt.datetime, limit: int = 200
) -> list[tuple[int, str | None, int | None]]:
    rows = await session.execute(
        select(Order.id, Order.payment_intent_id, Order.show_id)
        .where(Order.status == OrderStatus.PENDING, Order.reserved_until < now)
        .order_by(Order.id)
        .limit(limit)
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def orders_of_user(session: AsyncSession, user_id: int) -> list[Order]:
    rows = await session.scalars(
        select(Order)
        .where(Order.user_id == user_id)
        .order_by(Order.id.desc())
        .limit(200)
        .options(selectinload(Order.lines), selectinload(Order.refunds))
    )
    return list(rows)


async def orders_of_store(
    session: AsyncSession,
    store_id: int,
    *,
    show_id: int | None = None,
    status: str = "",
    limit: int = 500,
) -> list[Order]:
    """The store's orders (only those whose money came in, see STORE_STATES)."""
    query = select(Order).where(Order.store_id == store_id)
    if show_id is not None:
        query = query.where(Order.show_id == show_id)
    if status:
        query = query.where(Order.status == status, Order.status.in_(STORE_STATES))
    else:
        query = query.where(Order.status.in_(STORE_STATES))
    rows = await session.scalars(
        query.order_by(Order.id.desc())
        .limit(limit)
        .options(selectinload(Order.lines), selectinload(Order.refunds))
    )
    return list(rows)


async def available(session: AsyncSession, product_id: int) -> int:
    product = await catalog.get_product(session, product_id)
    return product.available
