"""An order's one PaymentIntent, kept in `orders.payment_intent_id` through three steps:

1. *claimed*: a claim mark (`claim:{order}:{ms}`) is written by a conditional UPDATE
   before the gateway is called, so a double tap or a retry cannot create a second
   payment. Nothing is charged while an order is only claimed.
2. *recorded*: the intent, created unconfirmed, has its id written in place of the
   mark, by an UPDATE conditional on that very mark and on the order still pending.
3. only then is the intent confirmed (charged). Every charge therefore has its order,
   found by the intent id, whatever happens to the process afterwards.

A claim older than the configured timeout belongs to a request that died before
recording its intent: it is cleared so that the shopper can pay again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.models import Order, OrderStatus
from checkout.orders import with_lines
from checkout.stock import NO_SYNC, rowcount

CLAIM = "claim:"


def claim_mark(order_id: int, at: dt.datetime) -> str:
    return f"{CLAIM}{order_id}:{int(at.timestamp() * 1000)}"


def is_claim(value: str | None) -> bool:
    return bool(value) and str(value).startswith(CLAIM)


def claimed_at(mark: str) -> dt.datetime | None:
    """When a claim was made; None for a mark without a time (then it counts as old)."""
    parts = mark.split(":")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return dt.datetime.fromtimestamp(int(parts[2]) / 1000, dt.UTC)


def intent_key(mark: str) -> str:
    """The idempotency key of the payment made under one claim. Derived from the order
    (and the claim's time): a network retry of the create call inside one attempt is the
    same payment to Stripe, while a new attempt after a stale claim was cleared (nothing
    of the old attempt was ever confirmed) may use another card."""
    _, order_id, stamp = [*mark.split(":"), "", ""][:3]
    return f"order:{order_id}:pi:{stamp}"


def intent_of(order: Order) -> str | None:
    """The recorded PaymentIntent id, if any (not a claim mark)."""
    value = order.payment_intent_id
    return value if value and not is_claim(value) else None


async def claim(
    session: AsyncSession, user_id: int, order_id: int, mark: str, now: dt.datetime
) -> Order | None:
    """Claim the shopper's pending, unexpired, unclaimed order in one statement that also
    returns it (lines loaded); None when it cannot be claimed."""
    order = await session.scalar(
        update(Order)
        .where(
            Order.id == order_id,
            Order.user_id == user_id,
            Order.status == OrderStatus.PENDING,
            Order.payment_intent_id.is_(None),
            Order.reserved_until >= now,
        )
        .values(payment_intent_id=mark)
        .returning(Order),
        execution_options={"populate_existing": True},
    )
    return await with_lines(session, order) if order is not None else None


async def record(session: AsyncSession, order_id: int, mark: str, intent_id: str) -> bool:
    """Put the created intent's id in place of the claim; False if the claim is gone
    (the order was released or the claim cleared meanwhile): then nothing may be charged."""
    result = await session.execute(
        update(Order)
        .where(
            Order.id == order_id,
            Order.payment_intent_id == mark,
            Order.status == OrderStatus.PENDING,
        )
        .values(payment_intent_id=intent_id),
        execution_options=NO_SYNC,
    )
    return rowcount(result) == 1


async def unclaim(session: AsyncSession, order_id: int, mark: str) -> bool:
    result = await session.execute(
        update(Order)
        .where(Order.id == order_id, Order.payment_intent_id == mark)
        .values(payment_intent_id=None),
        execution_options=NO_SYNC,
    )
    return rowcount(result) == 1


async def stale_claims(session: AsyncSession, older_than: dt.datetime) -> list[tuple[int, str]]:
    """Claims made before `older_than`: (order id, mark)."""
    rows = await session.execute(
        select(Order.id, Order.payment_intent_id).where(
            Order.status == OrderStatus.PENDING, Order.payment_intent_id.startswith(CLAIM)
        )
    )
    stale = []
    for order_id, mark in rows.all():
        at = claimed_at(str(mark))
        if at is None or at < older_than:
            stale.append((int(order_id), str(mark)))
    return stale


async def pending_with_intents(
    session: AsyncSession, limit: int = 500
) -> list[tuple[int, str, dt.datetime]]:
    """Pending orders whose intent is recorded: (order id, intent id, reserved until)."""
    rows = await session.execute(
        select(Order.id, Order.payment_intent_id, Order.reserved_until)
        .where(
            Order.status == OrderStatus.PENDING,
            Order.payment_intent_id.is_not(None),
            Order.payment_intent_id.not_like(f"{CLAIM}%"),
        )
        .order_by(Order.id)
        .limit(limit)
    )
    return [(r[0], str(r[1]), r[2]) for r in rows]
