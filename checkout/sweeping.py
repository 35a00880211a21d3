"""The background rounds: reservations past their time, flash sales that ran out of
time, claims left by requests that died, and, at start-up, every payment a crash may
have left without its outcome.

Nothing is released without asking the gateway first when the order has a PaymentIntent:
a payment that went through is completed (the order paid, or refunded when its units are
gone), one still running is left for the next round.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout import intents, orders
from checkout.announce import Announcer
from checkout.errors import PaymentUnavailable
from checkout.models import FlashSale
from checkout.payments import PaymentGateway, PaymentResult, PaymentStatus
from checkout.settling import NOTE_OF, Settlement
from server.db import utcnow

log = logging.getLogger("jangteo.checkout")

# How far back a round looks for ended flash sales at most: a process that has just taken
# over the rounds from one that died (server/leader.py) announces what ended in the
# handover, not everything since it started.
CATCH_UP = dt.timedelta(seconds=60)


@dataclass
class Reconciled:
    """What the start-up reconciliation found."""

    checked: int = 0
    paid: int = 0
    released: int = 0
    left: int = 0  # still running (3-D Secure, processing) or not answered
    claims_cleared: int = 0


class Sweeper:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        gateway: PaymentGateway,
        settlement: Settlement,
        announcer: Announcer,
        claim_timeout: dt.timedelta,
    ) -> None:
        self._db = sessionmaker
        self._gateway = gateway
        self._settle = settlement
        self._announce = announcer
        self._claim_timeout = claim_timeout
        self._last = utcnow()

    async def one_round(self) -> None:
        """Release expired reservations and tell viewers of sales that ended since the
        last round."""
        now = utcnow()
        await self.sweep_once()
        await self.announce_ended_sales(max(self._last, now - CATCH_UP), now)
        self._last = now

    async def sweep_once(self) -> int:
        """Release every reservation past its time whose payment did not go through;
        returns how many were released."""
        await self._clear_stale_claims()
        async with self._db() as session:
            expired = await orders.expired_orders(session, utcnow())
        released = 0
        for order_id, recorded, _ in expired:
            intent_id = recorded if recorded and not intents.is_claim(recorded) else None
            if intent_id is not None:
                # Cancelling stops a payment still waiting for 3-D Secure, and answers
                # `succeeded` for one that went through: that order is paid instead.
                result = await self._ask(self._gateway.cancel, order_id, intent_id)
                if result is None or not result.status.settled:
                    continue  # no answer, or still processing: ask again next round
                if result.status is PaymentStatus.SUCCEEDED:
                    await self._settle.paid(order_id, intent_id)
                    continue
            if await self._settle.release_by_id(order_id, orders.NOTE_EXPIRED):
                released += 1
        return released

    async def reconcile(self) -> Reconciled:
        """At start-up: ask the gateway about every pending order whose payment was
        recorded (a crash may have come between the charge and its outcome) and complete
        or release it; payments still running are left to the shopper and the sweeper."""
        report = Reconciled(claims_cleared=await self._clear_stale_claims())
        async with self._db() as session:
            pending = await intents.pending_with_intents(session)
        for order_id, intent_id, _ in pending:
            report.checked += 1
            result = await self._ask(self._gateway.retrieve, order_id, intent_id)
            if result is not None and result.status is PaymentStatus.SUCCEEDED:
                await self._settle.paid(order_id, intent_id)
                report.paid += 1
            elif result is not None and result.status in NOTE_OF:
                released = await self._settle.release_by_id(order_id, NOTE_OF[result.status])
                report.released += int(released)
            else:
                report.left += 1
        log.info("payments reconciled", extra=vars(report))
        return report

    async def _ask(
        self, call: Callable[[str], Awaitable[PaymentResult]], order_id: int, intent_id: str
    ) -> PaymentResult | None:
        try:
            return await call(intent_id)
        except PaymentUnavailable:
            log.warning("payment service did not answer", extra={"order_id": order_id})
            return None

    async def _clear_stale_claims(self) -> int:
        """Clear claims whose request died before recording its intent (nothing of it was
        ever confirmed), so that the shopper can pay again; returns how many."""
        async with self._db() as session:
            stale = await intents.stale_claims(session, utcnow() - self._claim_timeout)
        if not stale:
            return 0
        cleared = 0
        async with self._db.begin() as session:
            for order_id, mark in stale:
                cleared += int(await intents.unclaim(session, order_id, mark))
        return cleared

    async def announce_ended_sales(self, since: dt.datetime, until: dt.datetime) -> int:
        """Tell viewers about flash sales whose time ran out in (since, until]: the server
        keeps the clock, so `sale:ended` comes from here, not from each viewer's countdown."""
        async with self._db() as session:
            ended = list(
                await session.scalars(
                    select(FlashSale).where(FlashSale.ends_at > since, FlashSale.ends_at <= until)
                )
            )
        for sale in ended:
            await self._announce.sale_ended(sale)
        return len(ended)
