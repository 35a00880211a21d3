"""Demo open slots for `make run`: evenings in the coming days a new merchant can book."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.i18n import SEOUL
from server.onboarding.models import OpenSlot


async def seed_slots(session: AsyncSession, operator: User, days: int = 5) -> None:
    today = dt.datetime.now(SEOUL).replace(minute=0, second=0, microsecond=0)
    for day in range(2, 2 + days):
        for hour in (11, 18):
            start = (today + dt.timedelta(days=day)).replace(hour=hour).astimezone(dt.UTC)
            session.add(
                OpenSlot(starts_at=start, duration_minutes=60, opened_by=operator.id, note="")
            )
    await session.flush()
