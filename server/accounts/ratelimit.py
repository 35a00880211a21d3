"""Sign-in attempt limiting per (address, account), counted in the database.

An attempt is claimed *before* the password is checked, in one atomic upsert, so a
burst of parallel guesses cannot all read "not locked yet": only the first
`attempts` get checked. After `attempts` claims the pair waits `first_lock_seconds`;
each claim after a lock (each further failure) doubles the wait, up to a day. A success
forgets the pair. The lock is per address *and* account: a stranger guessing someone's
password locks only themselves, never the account's owner at another address.

Times are epoch seconds (floats) so that the upsert can do its arithmetic in SQL on
SQLite and PostgreSQL alike. The key is a hash: no e-mail address is stored.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, case, delete, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.models import LoginThrottleRow

LONGEST_LOCK_SECONDS = 24 * 3600.0
# A pair quiet for this long starts from zero again.
FORGET_AFTER_SECONDS = 24 * 3600.0


def throttle_key(address: str, email: str) -> str:
    return hashlib.sha256(f"{address}\n{email}".encode()).hexdigest()


def _smaller(a: ColumnElement[Any], b: float) -> ColumnElement[Any]:
    return case((a < b, a), else_=literal(b))


class LoginThrottle:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        attempts: int,
        first_lock_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.attempts = attempts
        self.first_lock = first_lock_seconds
        self._clock = clock

    def _claim_statement(self, dialect: str, key: str, now: float) -> Any:
        t = LoginThrottleRow.__table__
        c = t.c
        # In ON CONFLICT ... DO UPDATE, `c.x` is the row as it was before this claim.
        locked = c.locked_until > now
        stale = c.seen_at < now - FORGET_AFTER_SECONDS
        failures = case((locked, c.failures), (stale, 1), else_=c.failures + 1)
        lock_seconds = case(
            (locked, c.lock_seconds),
            (stale, literal(self.first_lock)),
            # Past the first lock, every claim doubles the next wait.
            (c.failures + 1 > self.attempts, _smaller(c.lock_seconds * 2, LONGEST_LOCK_SECONDS)),
            else_=c.lock_seconds,
        )
        locked_until = case(
            (locked, c.locked_until),
            (failures >= self.attempts, now + lock_seconds),
            else_=literal(0.0),
        )
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(t)
        first = self.attempts <= 1
        return (
            insert.values(
                key=key,
                failures=1,
                lock_seconds=self.first_lock,
                locked_until=now + self.first_lock if first else 0.0,
                seen_at=now,
                allowed=True,
            )
            .on_conflict_do_update(
                index_elements=[c.key],
                set_={
                    "failures": failures,
                    "lock_seconds": lock_seconds,
                    "locked_until": locked_until,
                    "seen_at": now,
                    "allowed": ~locked,
                },
            )
            .returning(c.allowed, c.locked_until)
        )

    async def claim(self, address: str, email: str) -> int:
        """Count an attempt; 0 if it may be checked now, else the seconds to wait."""
        now = self._clock()
        async with self.sessionmaker.begin() as session:
            dialect = session.get_bind().dialect.name
            statement = self._claim_statement(dialect, throttle_key(address, email), now)
            allowed, locked_until = (await session.execute(statement)).one()
        if allowed:
            return 0
        return max(1, round(float(locked_until) - now))

    async def succeeded(self, address: str, email: str) -> None:
        """The right password: forget the pair (and pairs long quiet, to keep it small)."""
        now = self._clock()
        async with self.sessionmaker.begin() as session:
            await session.execute(
                delete(LoginThrottleRow).where(
                    (LoginThrottleRow.key == throttle_key(address, email))
                    | (LoginThrottleRow.seen_at < now - FORGET_AFTER_SECONDS)
                )
            )
