"""Paying for an order, giving up on it, and the merchant's refunds.

A payment is made so that no charge can exist without its order (docs/checkout.md,
"Crash safety"): the order is claimed, the PaymentIntent is created unconfirmed, its id
recorded on the order, and only then confirmed. Whatever happens to the process after
the confirmation, the charge is found again from the order — by the shopper's retry,
the sweeper, or the reconciliation at start-up — and ends as a paid order or a refund.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout import intents, orders
from checkout.errors import OrderNotPayable, PaymentDeclined, PaymentInProgress, PaymentUnavailable
from checkout.models import Order, OrderStatus
from checkout.payments import PaymentGateway, PaymentResult, PaymentStatus
from checkout.settling import Settlement
from server.accounts.models import User
from server.db import utcnow


@dataclass(frozen=True)
class Payment:
    """The order after a payment attempt, and the gateway's answer (None when the order
    was paid already and nothing was asked)."""

    order: Order
    result: PaymentResult | None

    @property
    def client_secret_for_action(self) -> str | None:
        """The secret the page confirms 3-D Secure with, when the bank asks for it."""
        if self.result is not None and self.result.status is PaymentStatus.REQUIRES_ACTION:
            return self.result.client_secret
        return None


class Paying:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        gateway: PaymentGateway,
        settlement: Settlement,
    ) -> None:
        self._db = sessionmaker
        self._gateway = gateway
        self._settle = settlement

    async def pay(self, user: User, order_id: int, card_token: str) -> Payment:
        """Charge a pending order, once. A double tap or a retry finds the order claimed
        (409 `payment_in_progress`) or its payment recorded, which is then looked up."""
        now = utcnow()
        mark = intents.claim_mark(order_id, now)
        async with self._db.begin() as session:
            order = await intents.claim(session, user.id, order_id, mark, now)
        if order is None:
            return await self._pay_again(user, order_id)
        intent = await self._create(order, mark, card_token)
        async with self._db.begin() as session:
            recorded = await intents.record(session, order.id, mark, intent.intent_id)
        if not recorded:
            # Released or its claim cleared meanwhile: this intent is never confirmed.
            await self._gateway.cancel(intent.intent_id)
            raise await self._not_payable(order.id)
        orders.remember(order, payment_intent_id=intent.intent_id)
        return await self._confirm(user, order, intent.intent_id)

    async def _create(self, order: Order, mark: str, card_token: str) -> PaymentResult:
        try:
            return await self._gateway.create(
                order_id=order.id,
                amount=order.total,
                currency=order.currency,
                card_token=card_token,
                idempotency_key=intents.intent_key(mark),
            )
        except PaymentDeclined:
            await self._settle.release(order, orders.NOTE_DECLINED)
            raise
        except Exception:
            # Nothing was created that could be confirmed: the shopper may try again.
            async with self._db.begin() as session:
                await intents.unclaim(session, order.id, mark)
            raise

    async def _confirm(self, user: User, order: Order, intent_id: str) -> Payment:
        # PaymentUnavailable leaves the order as it is, its intent recorded: a retry or
        # the sweeper asks the gateway how it ended.
        try:
            result = await self._gateway.confirm(intent_id)
        except PaymentDeclined:
            await self._settle.release(order, orders.NOTE_DECLINED)
            raise
        return Payment(await self._settle.apply(order, result, user.display_name), result)

    async def _pay_again(self, user: User, order_id: int) -> Payment:
        async with self._db() as session:
            order = await orders.order_of_shopper(session, user, order_id)
        if order.status in orders.PAID_STATES:
            return Payment(order, None)
        if order.status is not OrderStatus.PENDING:
            raise OrderNotPayable(order_id=order.id, status=order.status.label)
        intent_id = intents.intent_of(order)
        if intent_id is None:
            if intents.is_claim(order.payment_intent_id):
                raise PaymentInProgress(order_id=order.id)
            raise OrderNotPayable(order_id=order.id, status=OrderStatus.CANCELLED.label)
        result = await self._gateway.retrieve(intent_id)
        if result.status is PaymentStatus.REQUIRES_CONFIRMATION:
            if order.reserved_until < utcnow():
                raise OrderNotPayable(order_id=order.id, status=OrderStatus.CANCELLED.label)
            # Recorded but not confirmed: the request that made it stopped before
            # confirming (or is confirming right now; then this only hears the outcome).
            return await self._confirm(user, order, intent_id)
        return Payment(await self._settle.apply(order, result, user.display_name), result)

    async def _not_payable(self, order_id: int) -> Exception:
        async with self._db() as session:
            order = await orders.get_order(session, order_id)
        if order.status is OrderStatus.PENDING:
            return PaymentUnavailable()  # the claim was cleared as stale: try again
        return OrderNotPayable(order_id=order_id, status=order.status.label)

    async def give_up(self, user: User, order_id: int) -> Order:
        """The shopper closed the sheet or failed 3-D Secure: stop the payment, free the
        stock — unless the payment went through before it could be stopped."""
        async with self._db() as session:
            order = await orders.order_of_shopper(session, user, order_id)
        if order.status is not OrderStatus.PENDING:
            return order
        intent_id = intents.intent_of(order)
        if intent_id is not None:
            result = await self._gateway.cancel(intent_id)
            if result.status is not PaymentStatus.CANCELED:
                return await self._settle.apply(order, result, user.display_name)
        return await self._settle.release(order, orders.NOTE_CANCELLED)

    async def refund(
        self, actor: User, order_id: int, amount: object, note: str = orders.NOTE_MERCHANT_REFUND
    ) -> Order:
        async with self._db() as session:
            order = await orders.order_of_store(session, actor, order_id)
        value = orders.check_refund(order, amount)
        assert order.payment_intent_id
        # The key names the refund by its place in the order's history, so a retried
        # request cannot refund twice while a second, deliberate refund gets its own key.
        key = f"order:{order.id}:refund:{len(order.refunds) + 1}:{value}"
        refund_id = await self._gateway.refund(
            intent_id=order.payment_intent_id, amount=value, idempotency_key=key
        )
        async with self._db.begin() as session:
            order = await orders.get_order(session, order_id)
            if any(r.stripe_refund_id == refund_id for r in order.refunds):
                return order
            value = orders.check_refund(order, value)
            return await orders.record_refund(session, order, value, refund_id, note)
