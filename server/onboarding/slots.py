"""Slots operators open ahead of time, so a new merchant can book a show in one tap.

Taking an open slot makes an approved show at once (the operator cleared that time when
opening it); any other time goes through the usual slot request
(`server.shows.service.create_show`, approved on the calendar).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.db import utcnow
from server.errors import N_, Forbidden
from server.notifications import service as notifications
from server.onboarding.errors import BadGuideInput, SlotTaken
from server.onboarding.models import OpenSlot
from server.shows import scheduling
from server.shows import service as shows
from server.shows.models import MAX_DURATION_MINUTES, Approval, Show


async def open_slot(
    session: AsyncSession,
    actor: User,
    start: dt.datetime | None,
    duration_minutes: int,
    note: str = "",
) -> OpenSlot:
    if actor.role is not Role.OPERATOR:
        raise Forbidden(N_("Only operators can open slots."))
    if start is None:
        raise BadGuideInput(N_("Enter the start date and time."), field="starts_at")
    if start <= utcnow():
        raise BadGuideInput(N_("The start time is in the past."), field="starts_at")
    if not 5 <= duration_minutes <= MAX_DURATION_MINUTES:
        raise BadGuideInput(
            N_("A show lasts between 5 and %(max)d minutes."),
            field="duration_minutes",
            max=MAX_DURATION_MINUTES,
        )
    slot = OpenSlot(
        starts_at=start,
        duration_minutes=duration_minutes,
        note=note.strip()[:200],
        opened_by=actor.id,
    )
    session.add(slot)
    await session.flush()
    return slot


async def free_slots(session: AsyncSession, limit: int = 30) -> list[OpenSlot]:
    """Slots still free that start in the future, soonest first."""
    return list(
        await session.scalars(
            select(OpenSlot)
            .where(OpenSlot.show_id.is_(None), OpenSlot.starts_at > utcnow())
            .order_by(OpenSlot.starts_at)
            .limit(limit)
        )
    )


async def close_slot(session: AsyncSession, actor: User, slot_id: int) -> None:
    if actor.role is not Role.OPERATOR:
        raise Forbidden(N_("Only operators can open slots."))
    slot = await session.get(OpenSlot, slot_id)
    if slot is not None and slot.show_id is None:
        await session.delete(slot)


def _title(raw: str) -> str:
    title = raw.strip()
    if not 1 <= len(title) <= 120:
        raise BadGuideInput(N_("Give your show a title (up to 120 characters)."), field="title")
    return title


async def take_slot(session: AsyncSession, actor: User, slot_id: int, title: str) -> Show:
    """Book an open slot for the merchant's store: an approved show, at once."""
    if not (actor.is_active and actor.role is Role.MERCHANT and actor.store_id is not None):
        raise Forbidden(N_("Only merchants can book a slot for their store."))
    slot = await session.get(OpenSlot, slot_id)
    if slot is None or slot.show_id is not None or slot.starts_at <= utcnow():
        raise SlotTaken()
    await scheduling.check_booking(
        session,
        store_id=actor.store_id,
        creator_ids=[],
        start=slot.starts_at,
        duration_minutes=slot.duration_minutes,
    )
    show = Show(
        store_id=actor.store_id,
        title=_title(title),
        scheduled_start=slot.starts_at,
        duration_minutes=slot.duration_minutes,
        stream_key=shows.new_stream_key(),
        approval=Approval.APPROVED,
    )
    session.add(show)
    await session.flush()
    # The one claim that counts: two merchants tapping the same slot, one wins.
    claimed = await session.execute(
        update(OpenSlot)
        .where(OpenSlot.id == slot_id, OpenSlot.show_id.is_(None))
        .values(show_id=show.id)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        raise SlotTaken()
    show = await shows.get_show_fresh(session, show.id)
    await notifications.notify(
        session,
        await scheduling.operators(session),
        N_("%(store)s booked the open slot: %(title)s"),
        link=f"/shows/{show.id}",
        store=show.store.name,
        title=show.title,
    )
    return show


async def request_time(
    session: AsyncSession, actor: User, title: str, start: dt.datetime | None
) -> Show:
    """Ask for another time: the calendar's slot request, approved by an operator."""
    if start is None:
        raise BadGuideInput(N_("Enter the start date and time."), field="scheduled_start")
    if actor.store_id is None:
        raise Forbidden(N_("Only merchants can book a slot for their store."))
    return await shows.create_show(
        session, actor, store_id=actor.store_id, title=_title(title), scheduled_start=start
    )
