"""`Withdrawals`: a shopper's 청약철회 from request to answer, free of the web layer.

The shopper asks within the window (`withdrawal_rules`) with a reason and photos; the
store accepts — the refund goes through the `Checkout` service's refund path, the units
back on sale when the goods came back — or refuses with one of the law's reasons, which
the shopper sees. A request left unanswered for three business days passes to the
operators (`escalate_due`, a background round: every change is a conditional UPDATE on
the state it comes from, so several server processes may run it at once).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout import orders as checkout_orders
from checkout import stock
from checkout.models import Order
from checkout.stock import rowcount
from server.accounts import service as accounts
from server.accounts.models import Role, Store, User
from server.db import utcnow
from server.errors import N_, Forbidden
from server.notifications import service as notifications
from server.shows.scheduling import operators
from server.trust.errors import (
    BadTrustInput,
    WithdrawalClosed,
    WithdrawalNotAllowed,
    WithdrawalNotFound,
)
from server.trust.models import RefusalReason, Withdrawal, WithdrawalState
from server.trust.withdrawal_rules import ANSWER_BUSINESS_DAYS, Window, add_business_days, window

MAX_PHOTOS = 3
OPEN = (WithdrawalState.REQUESTED, WithdrawalState.ESCALATED)


class RefundPath(Protocol):
    """Checkout's refund, as `Checkout.refund` offers it."""

    async def refund(self, actor: User, order_id: int, amount: object, note: str = ...) -> Order:
        """Refund `amount` of a paid order through the payment gateway."""


@dataclass(frozen=True)
class ForShopper:
    order: Order
    store: Store
    withdrawal: Withdrawal | None
    window: Window


@dataclass(frozen=True)
class Case:
    """A withdrawal with its order, for the store and the operators."""

    withdrawal: Withdrawal
    order: Order


def may_decide(user: User, withdrawal: Withdrawal) -> bool:
    if not user.is_active:
        return False
    if user.role is Role.OPERATOR:
        return True
    return user.role is Role.MERCHANT and user.store_id == withdrawal.store_id


def may_see(user: User, withdrawal: Withdrawal) -> bool:
    return withdrawal.user_id == user.id or may_decide(user, withdrawal)


class Withdrawals:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], refunds: RefundPath) -> None:
        self._db = sessionmaker
        self._refunds = refunds

    # --- the shopper --------------------------------------------------------------------

    async def for_shopper(self, user: User, order_id: int) -> ForShopper:
        async with self._db() as session:
            order = await checkout_orders.order_of_shopper(session, user, order_id)
            store = await accounts.get_store(session, order.store_id)
            found = await _of_order(session, order.id)
        return ForShopper(order, store, found, window(order, utcnow()))

    async def request(
        self, user: User, order_id: int, reason: str, photos: list[str]
    ) -> Withdrawal:
        reason = reason.strip()
        if not 5 <= len(reason) <= 2000:
            raise BadTrustInput(
                N_("Say in 5 to 2,000 characters why you withdraw the order."), field="reason"
            )
        if len(photos) > MAX_PHOTOS:
            raise BadTrustInput(N_("Attach at most 3 photos."), field="photos")
        now = utcnow()
        async with self._db.begin() as session:
            order = await checkout_orders.order_of_shopper(session, user, order_id)
            if await _of_order(session, order.id) is not None:
                raise WithdrawalNotAllowed(
                    order_id=order.id, why=N_("a withdrawal was already requested.")
                )
            allowed = window(order, now)
            if not allowed.allowed:
                raise WithdrawalNotAllowed(order_id=order.id, why=allowed.why_not)
            withdrawal = Withdrawal(
                order_id=order.id,
                user_id=user.id,
                store_id=order.store_id,
                state=WithdrawalState.REQUESTED,
                reason=reason,
                photos=photos,
                requested_at=now,
                answer_due_at=add_business_days(now, ANSWER_BUSINESS_DAYS),
                answer_note="",
                goods_returned=False,
                refunded_amount=0,
            )
            session.add(withdrawal)
            await session.flush()
            await notifications.notify(
                session,
                await _merchants(session, order.store_id),
                N_("A shopper withdraws order #%(order)s; answer within 3 business days."),
                link="/merchant/withdrawals",
                order=str(order.id),
            )
        return withdrawal

    async def photo(self, user: User, withdrawal_id: int, index: int) -> str:
        """The stored path of one photo, for the shopper, the store and operators."""
        async with self._db() as session:
            withdrawal = await _get(session, withdrawal_id)
        if not may_see(user, withdrawal) or not 0 <= index < len(withdrawal.photos):
            raise WithdrawalNotFound(withdrawal_id=withdrawal_id)
        return str(withdrawal.photos[index])

    # --- the store and the operators ----------------------------------------------------

    async def of_store(self, user: User, store_id: int) -> list[Case]:
        if not (user.role is Role.OPERATOR or user.store_id == store_id):
            raise Forbidden(N_("You can only change your own store."))
        return await self._cases(Withdrawal.store_id == store_id)

    async def for_operators(self, user: User) -> list[Case]:
        if user.role is not Role.OPERATOR:
            raise Forbidden(N_("Only operators can see this."))
        return await self._cases(Withdrawal.state.in_(OPEN))

    async def _cases(self, where: ColumnElement[bool]) -> list[Case]:
        async with self._db() as session:
            rows = list(
                await session.scalars(
                    select(Withdrawal)
                    .where(where)
                    .order_by(Withdrawal.state == WithdrawalState.ESCALATED, Withdrawal.id.desc())
                    .limit(300)
                )
            )
            cases = [Case(w, await checkout_orders.get_order(session, w.order_id)) for w in rows]
        # Escalated first, then open, then answered; newest first within each.
        rank = {WithdrawalState.ESCALATED: 0, WithdrawalState.REQUESTED: 1}
        return sorted(cases, key=lambda c: (rank.get(c.withdrawal.state, 2), -c.withdrawal.id))

    async def accept(self, actor: User, withdrawal_id: int, goods_returned: bool) -> Withdrawal:
        async with self._db() as session:
            withdrawal = await self._open_for(session, actor, withdrawal_id)
            order = await checkout_orders.get_order(session, withdrawal.order_id)
        if order.refundable > 0:
            # Checkout's own refund path (the gateway, its idempotency key, the record).
            order = await self._refunds.refund(
                actor, order.id, order.refundable, checkout_orders.NOTE_WITHDRAWAL_REFUND
            )
        # Everything the order got back (a retry after a crash finds it refunded already).
        refunded = order.refunded_amount
        async with self._db.begin() as session:
            moved = await _close(
                session,
                withdrawal_id,
                state=WithdrawalState.ACCEPTED,
                decided_by=actor.id,
                goods_returned=goods_returned,
                refunded_amount=refunded,
            )
            # In the same transaction as the answer: the units come back exactly once.
            if moved and goods_returned:
                for line in order.lines:
                    await stock.give_back(session, line)
            if moved:
                await notifications.notify(
                    session,
                    [withdrawal.user_id],
                    N_("Your withdrawal of order #%(order)s was accepted and refunded."),
                    link=f"/orders/{order.id}/withdrawal",
                    order=str(order.id),
                )
            return await _get(session, withdrawal_id)

    async def refuse(self, actor: User, withdrawal_id: int, reason: str, note: str) -> Withdrawal:
        try:
            legal = RefusalReason(reason)
        except ValueError:
            raise BadTrustInput(
                N_("Choose one of the reasons the law allows."), field="refusal_reason"
            ) from None
        note = note.strip()
        if not 5 <= len(note) <= 2000:
            raise BadTrustInput(
                N_("Explain in 5 to 2,000 characters what you found; the shopper reads it."),
                field="note",
            )
        async with self._db.begin() as session:
            withdrawal = await self._open_for(session, actor, withdrawal_id)
            if await _close(
                session,
                withdrawal_id,
                state=WithdrawalState.REFUSED,
                decided_by=actor.id,
                refusal_reason=legal.value,
                answer_note=note,
            ):
                await notifications.notify(
                    session,
                    [withdrawal.user_id],
                    N_("Your withdrawal of order #%(order)s was refused; see the store's reason."),
                    link=f"/orders/{withdrawal.order_id}/withdrawal",
                    order=str(withdrawal.order_id),
                )
            return await _get(session, withdrawal_id)

    async def _open_for(self, session: AsyncSession, actor: User, withdrawal_id: int) -> Withdrawal:
        withdrawal = await _get(session, withdrawal_id)
        if not may_decide(actor, withdrawal):
            raise WithdrawalNotFound(withdrawal_id=withdrawal_id)
        if not withdrawal.state.is_open:
            raise WithdrawalClosed(withdrawal_id=withdrawal_id, state=withdrawal.state.value)
        return withdrawal

    # --- the clock ----------------------------------------------------------------------

    async def escalate_due(self, now: dt.datetime | None = None) -> int:
        """Pass to the operators every request the store left unanswered past its due
        time; returns how many this round passed on."""
        now = now or utcnow()
        passed = 0
        async with self._db.begin() as session:
            due = list(
                await session.scalars(
                    select(Withdrawal).where(
                        Withdrawal.state == WithdrawalState.REQUESTED,
                        Withdrawal.answer_due_at <= now,
                    )
                )
            )
            ops = await operators(session) if due else []
            for withdrawal in due:
                result = await session.execute(
                    update(Withdrawal)
                    .where(
                        Withdrawal.id == withdrawal.id,
                        Withdrawal.state == WithdrawalState.REQUESTED,
                    )
                    .values(state=WithdrawalState.ESCALATED, escalated_at=now),
                    execution_options={"synchronize_session": False},
                )
                if rowcount(result) != 1:
                    continue  # answered, or passed on by another process, meanwhile
                passed += 1
                await notifications.notify(
                    session,
                    [*ops, *await _merchants(session, withdrawal.store_id)],
                    N_(
                        "The store did not answer the withdrawal of order #%(order)s in 3 "
                        "business days; the operators decide now."
                    ),
                    link="/ops/withdrawals",
                    order=str(withdrawal.order_id),
                )
        return passed


async def _get(session: AsyncSession, withdrawal_id: int) -> Withdrawal:
    found = await session.scalar(
        select(Withdrawal)
        .where(Withdrawal.id == withdrawal_id)
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise WithdrawalNotFound(withdrawal_id=withdrawal_id)
    return found


async def _of_order(session: AsyncSession, order_id: int) -> Withdrawal | None:
    found: Withdrawal | None = await session.scalar(
        select(Withdrawal).where(Withdrawal.order_id == order_id)
    )
    return found


async def _close(session: AsyncSession, withdrawal_id: int, **values: object) -> bool:
    """Answer an open request; False if someone answered it first."""
    result = await session.execute(
        update(Withdrawal)
        .where(Withdrawal.id == withdrawal_id, Withdrawal.state.in_(OPEN))
        .values(decided_at=utcnow(), **values),
        execution_options={"synchronize_session": False},
    )
    return rowcount(result) == 1


async def _merchants(session: AsyncSession, store_id: int) -> list[int]:
    return list(
        await session.scalars(
            select(User.id).where(User.store_id == store_id, User.role == Role.MERCHANT)
        )
    )
