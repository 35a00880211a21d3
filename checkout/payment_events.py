"""Stripe's signed events, each applied exactly once, through a table of handlers.

The event id is stored (UNIQUE) in the same transaction as the change it makes, by an
`INSERT ... ON CONFLICT DO NOTHING`: a replayed or concurrent delivery of the same event
inserts nothing and is answered `duplicate`. Anything else that goes wrong is not a
duplicate: the cause is logged and `EventNotApplied` (a 5xx) makes Stripe deliver the
event again.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout import intents, orders
from checkout.errors import EventNotApplied, OrderNotFound
from checkout.models import Order, OrderStatus, PaymentEvent
from checkout.payments import PaymentGateway
from checkout.settling import Settled, Settlement
from server.db import utcnow
from server.errors import DomainError
from server.limits import is_whole

log = logging.getLogger("jangteo.checkout")


class EventType(enum.StrEnum):
    """The Stripe events checkout acts on; any other type is stored and ignored."""

    PAYMENT_SUCCEEDED = "payment_intent.succeeded"
    PAYMENT_FAILED = "payment_intent.payment_failed"
    PAYMENT_CANCELED = "payment_intent.canceled"
    CHARGE_REFUNDED = "charge.refunded"


# (session, the order, the event's object, the event id) -> what to announce, if anything.
Handler = Callable[[AsyncSession, Order, dict[str, Any], str], Awaitable[Settled | None]]


def _event_type(kind: str) -> EventType | None:
    try:
        return EventType(kind)
    except ValueError:
        return None


def _metadata_order_id(obj: dict[str, Any]) -> int | None:
    raw = (obj.get("metadata") or {}).get("order_id", "")
    return int(raw) if isinstance(raw, str) and is_whole(raw) else None


class PaymentEvents:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        gateway: PaymentGateway,
        settlement: Settlement,
    ) -> None:
        self._db = sessionmaker
        self._gateway = gateway
        self._settle = settlement
        self._handlers: dict[EventType, Handler] = {
            EventType.PAYMENT_SUCCEEDED: self._on_succeeded,
            EventType.PAYMENT_FAILED: self._on_failed,
            EventType.PAYMENT_CANCELED: self._on_canceled,
            EventType.CHARGE_REFUNDED: self._on_refunded,
        }

    async def handle(self, event: dict[str, Any]) -> str:
        """Apply one verified event exactly once; returns what happened, for the log."""
        event_id, kind = str(event.get("id", "")), str(event.get("type", ""))
        obj: dict[str, Any] = (event.get("data") or {}).get("object") or {}
        if kind.startswith("payment_intent.") and not self._gateway.is_ours(
            obj.get("metadata") or {}
        ):
            return "another installation's payment"
        try:
            return await self._apply(event_id, kind, obj)
        except DomainError:
            raise
        except Exception as exc:
            log.exception(
                "stripe event not applied; Stripe will deliver it again",
                extra={"event": event_id, "type": kind},
            )
            raise EventNotApplied() from exc

    async def _apply(self, event_id: str, kind: str, obj: dict[str, Any]) -> str:
        known = _event_type(kind)
        handler = self._handlers[known] if known is not None else None
        settled: Settled | None = None
        async with self._db.begin() as session:
            if handler is None:
                stored = await _store(session, event_id, kind, _metadata_order_id(obj))
                return "ignored" if stored else "duplicate"
            order = await self._order_of(session, kind, obj)
            if order is None:
                raise OrderNotFound(order_id=_metadata_order_id(obj) or 0)
            if not await _store(session, event_id, kind, order.id):
                return "duplicate"
            settled = await handler(session, order, obj, event_id)
        if settled is not None:
            await self._settle.announce(settled)
        return kind

    async def _order_of(
        self, session: AsyncSession, kind: str, obj: dict[str, Any]
    ) -> Order | None:
        if kind == EventType.CHARGE_REFUNDED:
            intent_id = str(obj.get("payment_intent") or "")
            if not intent_id:
                return None
            return await session.scalar(select(Order).where(Order.payment_intent_id == intent_id))
        order_id = _metadata_order_id(obj)
        if order_id is None:
            return None
        return await session.scalar(select(Order).where(Order.id == order_id))

    # --- the handlers ----------------------------------------------------------------------

    async def _on_succeeded(
        self, session: AsyncSession, order: Order, obj: dict[str, Any], _: str
    ) -> Settled | None:
        if order.status not in (OrderStatus.PENDING, OrderStatus.CANCELLED):
            return None  # paid by the answer to `pay` already (or refunded since)
        known = (
            await orders.with_lines(session, order) if order.status is OrderStatus.PENDING else None
        )
        return await self._settle.paid_in(session, order.id, str(obj.get("id", "")), known)

    async def _on_failed(
        self, session: AsyncSession, order: Order, obj: dict[str, Any], _: str
    ) -> Settled | None:
        return await self._release(session, order, obj, orders.NOTE_DECLINED)

    async def _on_canceled(
        self, session: AsyncSession, order: Order, obj: dict[str, Any], _: str
    ) -> Settled | None:
        return await self._release(session, order, obj, orders.NOTE_CANCELLED)

    async def _release(
        self, session: AsyncSession, order: Order, obj: dict[str, Any], note: str
    ) -> Settled | None:
        # A failure of an earlier attempt says nothing about a later, other payment.
        recorded = intents.intent_of(order)
        if order.status is not OrderStatus.PENDING or recorded not in (None, obj.get("id")):
            return None
        return await self._settle.released_in(
            session, order.id, note, await orders.with_lines(session, order)
        )

    async def _on_refunded(
        self, session: AsyncSession, order: Order, obj: dict[str, Any], event_id: str
    ) -> Settled | None:
        """A refund made outside checkout (the Stripe dashboard), or ours coming back."""
        total_refunded = int(obj.get("amount_refunded") or 0)
        if total_refunded > order.refunded_amount and order.status in orders.PAID_STATES:
            order = await orders.get_order(session, order.id)
            await orders.record_refund(
                session,
                order,
                total_refunded - order.refunded_amount,
                f"{event_id}:refund",
                orders.NOTE_MERCHANT_REFUND,
            )
        return None


async def _store(session: AsyncSession, event_id: str, kind: str, order_id: int | None) -> bool:
    """Store the event id; False when it was stored before (a true duplicate)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stored = await session.scalar(
        insert(PaymentEvent)
        .values(event_id=event_id, type=kind, order_id=order_id, received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(PaymentEvent.id)
    )
    return stored is not None
