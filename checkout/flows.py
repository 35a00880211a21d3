"""The steps that span the database, the payment gateway and live viewers.

Calls to Stripe never run inside a database transaction, except the automatic refund of
a late payment: there the refund must happen before the event is stored as handled, so
that a failed refund leaves the event to be delivered again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from sqlalchemy import select, update

from checkout import catalog, live, orders
from checkout.errors import (
    OrderNotFound,
    OrderNotPayable,
    PaymentDeclined,
    PaymentInProgress,
)
from checkout.models import FlashSale, Order, OrderStatus, PaymentEvent
from checkout.payments import PaymentResult
from server import keys
from server.accounts.models import User
from server.db import utcnow
from server.events import LiveEvent

log = logging.getLogger("jangteo.checkout")


def pi_key(order_id: int) -> str:
    return f"order:{order_id}:pi"


async def announce_stock(
    app: web.Application, show_id: int | None, product_ids: Iterable[int]
) -> None:
    if show_id is None:
        return
    product_ids = list(dict.fromkeys(product_ids))
    for product_id in product_ids:
        app[keys.sold_out].forget(product_id)  # units may have come back
    # Called where stock changed (an order placed, a reservation released), so a
    # `product:sold_out` here is the moment it sold out, not a repeat (the analytics
    # journal keeps each one for the replay).
    news: list[tuple[LiveEvent, dict[str, Any]]] = []
    # Read first, publish after the session is closed: a publisher may write to the
    # database itself (the analytics journal), and on SQLite an open session holds the lock.
    async with app[keys.sessionmaker]() as session:
        for product_id in product_ids:
            product = await catalog.get_product(session, product_id)
            sale = await catalog.running_sale(session, show_id, product_id)
            news.append(
                (
                    LiveEvent.STOCK_CHANGED,
                    {
                        "product_id": product_id,
                        "available": product.available,
                        "sale": live.sale_json(sale) if sale else None,
                    },
                )
            )
            if product.available == 0 or (sale is not None and sale.claimed >= sale.cap):
                news.append((LiveEvent.PRODUCT_SOLD_OUT, {"product_id": product_id}))
    for event, payload in news:
        await live.publish(app, show_id, event, payload)


async def announce_paid(app: web.Application, order: Order) -> None:
    async with app[keys.sessionmaker]() as session:
        buyer = await session.get(User, order.user_id)
    await live.publish(
        app,
        order.show_id,
        LiveEvent.ORDER_PAID,
        live.feed_json(order, buyer.display_name if buyer else ""),
    )


async def _apply_result(app: web.Application, order_id: int, result: PaymentResult) -> Order:
    async with app[keys.sessionmaker].begin() as session:
        outcome = None
        if result.status == "succeeded":
            outcome = await orders.mark_paid(session, order_id, result.intent_id)
            if outcome.needs_refund:
                await _auto_refund(app, session, outcome.order, result.intent_id)
        elif result.status in ("failed", "canceled"):
            await orders.release(session, order_id, orders.NOTE_DECLINED)
        order = await orders.get_order(session, order_id)
    if outcome is not None and outcome.newly_paid:
        await announce_paid(app, order)
    if order.status is OrderStatus.CANCELLED:
        await announce_stock(app, order.show_id, (line.product_id for line in order.lines))
    return order


def claim_mark(order_id: int) -> str:
    """Stands in the order's payment_intent_id while its one payment is being created."""
    return f"claim:{order_id}"


async def _claim_payment(app: web.Application, order_id: int) -> bool:
    async with app[keys.sessionmaker].begin() as session:
        result = await session.execute(
            update(Order)
            .where(
                Order.id == order_id,
                Order.status == OrderStatus.PENDING,
                Order.payment_intent_id.is_(None),
            )
            .values(payment_intent_id=claim_mark(order_id))
        )
        return orders.rowcount(result) == 1


async def _set_intent(app: web.Application, order_id: int, intent_id: str | None) -> None:
    async with app[keys.sessionmaker].begin() as session:
        await session.execute(
            update(Order)
            .where(Order.id == order_id, Order.payment_intent_id == claim_mark(order_id))
            .values(payment_intent_id=intent_id)
        )


async def pay(
    app: web.Application, user: User, order_id: int, card_token: str
) -> tuple[Order, PaymentResult | None]:
    """Charge a pending order, once. The order is claimed with a conditional UPDATE before
    Stripe is called, so a double tap or a retry cannot create a second payment (Stripe's
    own idempotency key, fixed per order, guards the same on its side; localstripe
    ignores it). Paying an order that already has its payment looks that payment up."""
    async with app[keys.sessionmaker]() as session:
        order = await orders.order_of_shopper(session, user, order_id)
    if order.status is not OrderStatus.PENDING:
        if order.status in orders.PAID_STATES:
            return order, None
        raise OrderNotPayable(order_id=order.id, status=order.status.value)
    if order.reserved_until < utcnow():
        raise OrderNotPayable(order_id=order.id, status=OrderStatus.CANCELLED.value)
    pay_gateway = app[keys.payment_gateway]
    if order.payment_intent_id and order.payment_intent_id != claim_mark(order.id):
        result = await pay_gateway.retrieve(order.payment_intent_id)
        return await _apply_result(app, order.id, result), result
    if not await _claim_payment(app, order.id):
        raise PaymentInProgress(order_id=order.id)
    try:
        result = await pay_gateway.pay(
            order_id=order.id,
            amount=order.total,
            currency=order.currency,
            card_token=card_token,
            idempotency_key=pi_key(order.id),
        )
    except PaymentDeclined:
        async with app[keys.sessionmaker].begin() as session:
            await orders.release(session, order.id, orders.NOTE_DECLINED)
        await announce_stock(app, order.show_id, (line.product_id for line in order.lines))
        raise
    except Exception:
        await _set_intent(app, order.id, None)  # nothing was charged: the shopper may retry
        raise
    await _set_intent(app, order.id, result.intent_id)
    return await _apply_result(app, order.id, result), result


async def give_up(app: web.Application, user: User, order_id: int) -> Order:
    """The shopper closed the sheet or failed 3-D Secure: stop the payment, free the stock."""
    async with app[keys.sessionmaker]() as session:
        order = await orders.order_of_shopper(session, user, order_id)
    if order.status is not OrderStatus.PENDING:
        return order
    if order.payment_intent_id and order.payment_intent_id != claim_mark(order.id):
        result = await app[keys.payment_gateway].retrieve(order.payment_intent_id)
        if result.status == "succeeded":
            return await _apply_result(app, order.id, result)
        await app[keys.payment_gateway].cancel(order.payment_intent_id)
    async with app[keys.sessionmaker].begin() as session:
        await orders.release(session, order.id, orders.NOTE_CANCELLED)
        order = await orders.get_order(session, order.id)
    await announce_stock(app, order.show_id, (line.product_id for line in order.lines))
    return order


async def _auto_refund(app: web.Application, session: Any, order: Order, intent_id: str) -> None:
    refund_id = await app[keys.payment_gateway].refund(
        intent_id=intent_id, amount=order.total, idempotency_key=f"order:{order.id}:late-refund"
    )
    await session.execute(
        update(Order).where(Order.id == order.id).values(payment_intent_id=intent_id)
    )
    await orders.record_refund(session, order, order.total, refund_id, orders.NOTE_SOLD_OUT_REFUND)
    log.info("late payment refunded", extra={"order_id": order.id})


async def refund(app: web.Application, actor: User, order_id: int, amount: object) -> Order:
    async with app[keys.sessionmaker]() as session:
        order = await orders.order_of_store(session, actor, order_id)
    value = orders.check_refund(order, amount)
    assert order.payment_intent_id
    # The key names the refund by its place in the order's history, so a retried
    # request cannot refund twice while a second, deliberate refund gets its own key.
    key = f"order:{order.id}:refund:{len(order.refunds) + 1}:{value}"
    refund_id = await app[keys.payment_gateway].refund(
        intent_id=order.payment_intent_id, amount=value, idempotency_key=key
    )
    async with app[keys.sessionmaker].begin() as session:
        order = await orders.get_order(session, order_id)
        if any(r.stripe_refund_id == refund_id for r in order.refunds):
            return order
        value = orders.check_refund(order, value)
        return await orders.record_refund(
            session, order, value, refund_id, orders.NOTE_MERCHANT_REFUND
        )


# --- webhooks ------------------------------------------------------------------------------


def _order_id(obj: dict[str, Any]) -> int | None:
    raw = (obj.get("metadata") or {}).get("order_id", "")
    return int(raw) if isinstance(raw, str) and raw.isdigit() else None


async def handle_event(app: web.Application, event: dict[str, Any]) -> str:
    """Apply one verified Stripe event exactly once; returns what happened, for the log."""
    event_id, kind = str(event.get("id", "")), str(event.get("type", ""))
    obj: dict[str, Any] = (event.get("data") or {}).get("object") or {}
    if kind.startswith("payment_intent.") and not app[keys.payment_gateway].is_ours(
        obj.get("metadata") or {}
    ):
        return "another installation's payment"
    paid_order: Order | None = None
    released: Order | None = None
    async with app[keys.sessionmaker].begin() as session:
        if await session.scalar(select(PaymentEvent.id).where(PaymentEvent.event_id == event_id)):
            return "duplicate"
        if kind == "charge.refunded":
            intent_id = str(obj.get("payment_intent") or "")
            order_id = (
                await session.scalar(select(Order.id).where(Order.payment_intent_id == intent_id))
                if intent_id
                else None
            )
        else:
            order_id = _order_id(obj)
        if kind not in (
            "payment_intent.succeeded",
            "payment_intent.payment_failed",
            "payment_intent.canceled",
            "charge.refunded",
        ):
            session.add(PaymentEvent(event_id=event_id, type=kind, order_id=order_id))
            return "ignored"
        if order_id is None or await session.get(Order, order_id) is None:
            raise OrderNotFound(order_id=order_id or 0)
        # Stored first: a concurrent delivery of the same event fails on the UNIQUE index
        # and rolls back whatever it did.
        session.add(PaymentEvent(event_id=event_id, type=kind, order_id=order_id))
        await session.flush()
        if kind == "payment_intent.succeeded":
            outcome = await orders.mark_paid(session, order_id, str(obj.get("id", "")))
            if outcome.needs_refund:
                await _auto_refund(app, session, outcome.order, str(obj.get("id", "")))
            if outcome.newly_paid:
                paid_order = outcome.order
        elif kind in ("payment_intent.payment_failed", "payment_intent.canceled"):
            note = orders.NOTE_DECLINED if kind.endswith("failed") else orders.NOTE_CANCELLED
            order = await orders.get_order(session, order_id)
            # A failure of an earlier attempt says nothing about a later, other payment.
            same = order.payment_intent_id in (None, claim_mark(order_id), obj.get("id"))
            if same and await orders.release(session, order_id, note):
                released = await orders.get_order(session, order_id)
        else:
            order = await orders.get_order(session, order_id)
            already = sum(r.amount for r in order.refunds)
            total_refunded = int(obj.get("amount_refunded") or 0)
            if total_refunded > already and order.status in orders.PAID_STATES:
                await orders.record_refund(
                    session,
                    order,
                    total_refunded - already,
                    f"{event_id}:refund",
                    orders.NOTE_MERCHANT_REFUND,
                )
    if paid_order is not None:
        # The units were taken when the order was placed: no stock news, only the sale.
        await announce_paid(app, paid_order)
    if released is not None:
        await announce_stock(app, released.show_id, (x.product_id for x in released.lines))
    return kind


# --- the sweeper ------------------------------------------------------------------------------


async def sweep_once(app: web.Application) -> int:
    """Release every reservation past its time; returns how many were released."""
    async with app[keys.sessionmaker]() as session:
        expired = await orders.expired_orders(session, utcnow())
    count = 0
    for order_id, intent_id, show_id in expired:
        if intent_id and intent_id != claim_mark(order_id):
            with contextlib.suppress(Exception):
                # Stop a payment still waiting for 3-D Secure; one that went through
                # is sold again or refunded by mark_paid when its webhook comes.
                await app[keys.payment_gateway].cancel(intent_id)
        async with app[keys.sessionmaker].begin() as session:
            if not await orders.release(session, order_id, orders.NOTE_EXPIRED):
                continue
            order = await orders.get_order(session, order_id)
        count += 1
        await announce_stock(app, show_id, (line.product_id for line in order.lines))
    return count


async def announce_ended_sales(app: web.Application, since: dt.datetime, until: dt.datetime) -> int:
    """Tell viewers about flash sales whose time ran out in (since, until]: the server
    keeps the clock, so `sale:ended` comes from here, not from each viewer's countdown."""
    async with app[keys.sessionmaker]() as session:
        ended = list(
            await session.scalars(
                select(FlashSale).where(FlashSale.ends_at > since, FlashSale.ends_at <= until)
            )
        )
    for sale in ended:
        await live.publish(
            app,
            sale.show_id,
            LiveEvent.SALE_ENDED,
            {"sale_id": sale.id, "product_id": sale.product_id},
        )
    return len(ended)


class Sweeper:
    """One round releases expired reservations and tells viewers of sales that ended
    since the last round."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._last = utcnow()

    async def one_round(self) -> None:
        now = utcnow()
        await sweep_once(self._app)
        await announce_ended_sales(self._app, self._last, now)
        self._last = now
