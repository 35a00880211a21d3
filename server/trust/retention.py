"""How long records are kept, and the job that deletes them after.

- Orders, their payments, refunds and withdrawals: 5 years (전자상거래법 시행령 제6조:
  계약·청약철회, 대금결제 및 재화 공급에 관한 기록).
- Recordings of shows (the shows are the advertising): `RECORDING_RETENTION_DAYS`, never
  below 6 months (표시·광고에 관한 기록).
- Resolved reports of shows: 3 years (소비자 불만 또는 분쟁처리에 관한 기록); open ones
  are never deleted.

Nothing an open dispute needs is deleted: an order with an open withdrawal, and the
recording of a show with an open report or an order under an open withdrawal. Every
deletion leaves a line in `purge_log` (and in the log). On PostgreSQL a round runs only
where it takes an advisory lock, so several server processes never purge at once; on
SQLite the write lock taken at BEGIN serialises them, and every deletion is conditional
anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout.models import Order, PaymentEvent
from server.db import utcnow
from server.shows.models import Show, ShowState
from server.trust.models import PurgeRecord, ShowReport, Withdrawal, WithdrawalState

log = logging.getLogger("jangteo.retention")

RECORD_YEARS = 5
REPORT_YEARS = 3
MIN_RECORDING_DAYS = 183  # six months
EVERY_SECONDS = 6 * 3600.0
BATCH = 500
MAX_BATCHES = 200  # 100,000 orders a round at most
# Any fixed number: names the PostgreSQL advisory lock of a purge round.
PURGE_LOCK_ID = 7_240_116
OPEN = (WithdrawalState.REQUESTED, WithdrawalState.ESCALATED)


def years_before(now: dt.datetime, years: int) -> dt.datetime:
    return now - dt.timedelta(days=365 * years + years // 4 + 1)


@dataclass
class Purged:
    recordings: list[int] = field(default_factory=list)
    orders: list[int] = field(default_factory=list)
    reports: list[int] = field(default_factory=list)
    skipped: bool = False  # another process held the lock

    @property
    def total(self) -> int:
        return len(self.recordings) + len(self.orders) + len(self.reports)


class Retention:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        recording_path: Callable[[int], Path],
        withdrawal_photo: Callable[[str], Path],
        recording_days: int,
    ) -> None:
        if recording_days < MIN_RECORDING_DAYS:
            raise ValueError(f"recordings are kept at least {MIN_RECORDING_DAYS} days")
        self._db = sessionmaker
        self._recording_path = recording_path
        self._withdrawal_photo = withdrawal_photo
        self._recording_days = recording_days

    async def purge(self, now: dt.datetime | None = None) -> Purged:
        now = now or utcnow()
        done = Purged()
        # Batches of their own transactions, until one is not full: a large backlog
        # never holds the write lock for long, yet is cleared in one round.
        for _ in range(MAX_BATCHES):
            before = (len(done.orders), len(done.reports))
            files: list[Path] = []
            async with self._db.begin() as session:
                if not await _leader(session):
                    done.skipped = True
                    return done
                files += await self._recordings(session, now, done)
                files += await self._orders(session, now, done)
                await self._reports(session, now, done)
            # After the commit: a crash here leaves a file that the next round finds.
            for path in files:
                path.unlink(missing_ok=True)
            if len(done.orders) - before[0] < BATCH and len(done.reports) - before[1] < BATCH:
                break
        if done.total:
            log.info(
                "retention purge",
                extra={
                    "recordings": done.recordings,
                    "orders": done.orders,
                    "reports": done.reports,
                },
            )
        return done

    async def _recordings(
        self, session: AsyncSession, now: dt.datetime, done: Purged
    ) -> list[Path]:
        cutoff = now - dt.timedelta(days=self._recording_days)
        held_by_report = exists().where(
            ShowReport.show_id == Show.id, ShowReport.resolved_at.is_(None)
        )
        held_by_withdrawal = exists().where(
            Order.show_id == Show.id,
            Withdrawal.order_id == Order.id,
            Withdrawal.state.in_(OPEN),
        )
        rows = await session.execute(
            select(Show.id, Show.ended_at)
            .where(
                Show.state == ShowState.ENDED,
                Show.ended_at < cutoff,
                ~held_by_report,
                ~held_by_withdrawal,
            )
            .order_by(Show.id)
        )
        paths = []
        for show_id, ended_at in rows:
            path = self._recording_path(show_id)
            if not path.exists():
                continue
            paths.append(path)
            done.recordings.append(show_id)
            session.add(
                PurgeRecord(
                    at=now,
                    kind="recording",
                    subject_id=show_id,
                    detail=f"show ended {ended_at:%Y-%m-%d}; recordings kept "
                    f"{self._recording_days} days",
                )
            )
        return paths

    async def _orders(self, session: AsyncSession, now: dt.datetime, done: Purged) -> list[Path]:
        cutoff = years_before(now, RECORD_YEARS)
        held = exists().where(Withdrawal.order_id == Order.id, Withdrawal.state.in_(OPEN))
        ids = list(
            await session.scalars(
                select(Order.id)
                .where(Order.created_at < cutoff, ~held)
                .order_by(Order.id)
                .limit(BATCH)
            )
        )
        if not ids:
            return []
        photos = [
            self._withdrawal_photo(str(p))
            for batch in await session.scalars(
                select(Withdrawal.photos).where(Withdrawal.order_id.in_(ids))
            )
            for p in batch or []
        ]
        await session.execute(delete(Withdrawal).where(Withdrawal.order_id.in_(ids)))
        await session.execute(delete(PaymentEvent).where(PaymentEvent.order_id.in_(ids)))
        # Lines and refunds go with their order (ON DELETE CASCADE).
        await session.execute(delete(Order).where(Order.id.in_(ids)))
        for order_id in ids:
            session.add(
                PurgeRecord(
                    at=now,
                    kind="order",
                    subject_id=order_id,
                    detail=f"order, payments, refunds and withdrawal older than "
                    f"{RECORD_YEARS} years",
                )
            )
        done.orders += ids
        return photos

    async def _reports(self, session: AsyncSession, now: dt.datetime, done: Purged) -> None:
        cutoff = years_before(now, REPORT_YEARS)
        ids = list(
            await session.scalars(
                select(ShowReport.id)
                .where(ShowReport.resolved_at.is_not(None), ShowReport.resolved_at < cutoff)
                .limit(BATCH)
            )
        )
        if not ids:
            return
        await session.execute(delete(ShowReport).where(ShowReport.id.in_(ids)))
        for report_id in ids:
            session.add(
                PurgeRecord(
                    at=now,
                    kind="report",
                    subject_id=report_id,
                    detail=f"resolved report older than {REPORT_YEARS} years",
                )
            )
        done.reports += ids


async def _leader(session: AsyncSession) -> bool:
    """True where this round may purge: always on SQLite (its write lock serialises),
    on PostgreSQL only for the one process that takes the advisory lock."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken = await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": PURGE_LOCK_ID}
    )
    return bool(taken)
