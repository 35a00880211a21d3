"""Notifications and reminders: queries and changes, session first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.db import utcnow
from server.errors import N_, Conflict, Invalid
from server.notifications.models import Notification, Reminder
from server.shows.models import Show, ShowState

# How long before the start a reminder goes out.
REMIND_BEFORE = dt.timedelta(minutes=10)


async def notify(
    session: AsyncSession, user_ids: Iterable[int], template: str, link: str = "", **params: str
) -> None:
    for user_id in dict.fromkeys(user_ids):
        session.add(Notification(user_id=user_id, template=template, params=params, link=link))
    await session.flush()


async def unread_count(session: AsyncSession, user_id: int) -> int:
    count = await session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )
    return int(count or 0)


async def recent(session: AsyncSession, user_id: int, limit: int = 50) -> list[Notification]:
    rows = await session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(rows)


async def mark_all_read(session: AsyncSession, user_id: int) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


async def remind_me(session: AsyncSession, user: User, show: Show) -> Reminder:
    if show.state is not ShowState.SCHEDULED or not show.is_public:
        raise Conflict(N_("Reminders are only for upcoming shows."))
    if show.scheduled_start <= utcnow():
        raise Invalid(N_("This show has already started."))
    existing = await session.scalar(
        select(Reminder).where(Reminder.user_id == user.id, Reminder.show_id == show.id)
    )
    if existing is not None:
        return existing
    reminder = Reminder(user_id=user.id, show_id=show.id)
    session.add(reminder)
    await session.flush()
    return reminder


async def forget_reminder(session: AsyncSession, user: User, show_id: int) -> None:
    reminder = await session.scalar(
        select(Reminder).where(Reminder.user_id == user.id, Reminder.show_id == show_id)
    )
    if reminder is not None:
        await session.delete(reminder)


async def has_reminder(session: AsyncSession, user_id: int, show_id: int) -> bool:
    return (
        await session.scalar(
            select(Reminder.id).where(Reminder.user_id == user_id, Reminder.show_id == show_id)
        )
        is not None
    )


async def reminder_holders(session: AsyncSession, show_id: int) -> list[int]:
    return list(await session.scalars(select(Reminder.user_id).where(Reminder.show_id == show_id)))


@dataclass(frozen=True)
class DueReminder:
    reminder_id: int
    user: User
    show: Show


async def due_reminders(session: AsyncSession, now: dt.datetime) -> list[DueReminder]:
    """Unsent reminders of scheduled or live shows that start within REMIND_BEFORE."""
    rows = await session.execute(
        select(Reminder.id, User, Show)
        .join(User, User.id == Reminder.user_id)
        .join(Show, Show.id == Reminder.show_id)
        .where(
            Reminder.sent_at.is_(None),
            Show.state.in_((ShowState.SCHEDULED, ShowState.LIVE)),
            Show.scheduled_start <= now + REMIND_BEFORE,
        )
    )
    return [DueReminder(rid, user, show) for rid, user, show in rows.all()]


async def mark_sent(session: AsyncSession, reminder_id: int, now: dt.datetime) -> bool:
    """True if this call marked it (so two sweepers never send the same reminder twice)."""
    result = await session.execute(
        update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.sent_at.is_(None))
        .values(sent_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def reset_reminders(session: AsyncSession, show_id: int) -> None:
    await session.execute(update(Reminder).where(Reminder.show_id == show_id).values(sent_at=None))
