"""A payment's outcome applied to its order, wherever the outcome comes from (the answer
to `pay`, a webhook, the sweeper, the start-up reconciliation): paid — or, when the
stock went back on sale meanwhile and is gone, refunded in full — or released.

The automatic refund of a late payment is the one gateway call made inside a database
transaction: the refund must happen before the change (and a webhook event) is stored
as done, so that a failed refund leaves the event to be delivered again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout import orders, stock
from checkout.announce import Announcer
from checkout.models import Order
from checkout.payments import PaymentGateway, PaymentResult, PaymentStatus
from checkout.stock import NO_SYNC, StockNews
from server.accounts.models import User

log = logging.getLogger("jangteo.checkout")

NOTE_OF = {
    PaymentStatus.FAILED: orders.NOTE_DECLINED,
    PaymentStatus.CANCELED: orders.NOTE_CANCELLED,
}


@dataclass
class Settled:
    """What changed, for the announcements made after the commit."""

    order: Order
    newly_paid: bool = False
    buyer_name: str = ""
    news: list[StockNews] = field(default_factory=list)


class Settlement:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        gateway: PaymentGateway,
        announcer: Announcer,
    ) -> None:
        self._db = sessionmaker
        self._gateway = gateway
        self._announce = announcer

    # --- inside the caller's transaction ------------------------------------------------

    async def paid_in(
        self,
        session: AsyncSession,
        order_id: int,
        intent_id: str,
        known: Order | None = None,
        buyer_name: str | None = None,
    ) -> Settled:
        outcome = await orders.mark_paid(session, order_id, intent_id, known)
        if outcome.needs_refund:
            await self._refund_late(session, outcome.order, intent_id)
        if outcome.newly_paid and buyer_name is None:
            buyer_name = await session.scalar(
                select(User.display_name).where(User.id == outcome.order.user_id)
            )
        return Settled(outcome.order, outcome.newly_paid, buyer_name or "")

    async def released_in(
        self, session: AsyncSession, order_id: int, note: str, known: Order | None = None
    ) -> Settled | None:
        order = await orders.cancel_pending(session, order_id, note, known)
        if order is None:
            return None
        news = []
        if order.show_id is not None:
            news = await stock.news_of(session, order.show_id, (x.product_id for x in order.lines))
        return Settled(order, news=news)

    async def _refund_late(self, session: AsyncSession, order: Order, intent_id: str) -> None:
        refund_id = await self._gateway.refund(
            intent_id=intent_id, amount=order.total, idempotency_key=f"order:{order.id}:late-refund"
        )
        await session.execute(
            update(Order).where(Order.id == order.id).values(payment_intent_id=intent_id),
            execution_options=NO_SYNC,
        )
        orders.remember(order, payment_intent_id=intent_id)
        await orders.record_refund(
            session, order, order.total, refund_id, orders.NOTE_SOLD_OUT_REFUND
        )
        log.info("late payment refunded", extra={"order_id": order.id})

    # --- in a transaction of their own, announced after the commit ------------------------

    async def apply(
        self, order: Order, result: PaymentResult, buyer_name: str | None = None
    ) -> Order:
        """Apply the gateway's answer to an order loaded with its lines; an answer that is
        not final (3-D Secure, processing) changes nothing."""
        settled: Settled | None = None
        if result.status is PaymentStatus.SUCCEEDED:
            async with self._db.begin() as session:
                settled = await self.paid_in(session, order.id, result.intent_id, order, buyer_name)
        elif result.status in NOTE_OF:
            return await self.release(order, NOTE_OF[result.status])
        else:
            return order
        await self.announce(settled)
        return settled.order

    async def release(self, order: Order, note: str) -> Order:
        """Release a pending order loaded with its lines; answers it as it now stands."""
        async with self._db.begin() as session:
            settled = await self.released_in(session, order.id, note, order)
            if settled is None:  # it moved on meanwhile (paid, released)
                return await orders.get_order(session, order.id)
        await self.announce(settled)
        return settled.order

    async def paid(self, order_id: int, intent_id: str) -> Order:
        async with self._db.begin() as session:
            settled = await self.paid_in(session, order_id, intent_id)
        await self.announce(settled)
        return settled.order

    async def release_by_id(self, order_id: int, note: str) -> bool:
        async with self._db.begin() as session:
            settled = await self.released_in(session, order_id, note)
        if settled is None:
            return False
        await self.announce(settled)
        return True

    async def announce(self, settled: Settled) -> None:
        if settled.newly_paid:
            await self._announce.paid(settled.order, settled.buyer_name)
        if settled.news:
            await self._announce.stock(settled.order.show_id, settled.news)
