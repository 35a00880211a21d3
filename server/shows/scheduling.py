"""Booking rules: overlaps of one store's shows, a creator booked twice, slot requests,
approval, rescheduling and cancelling with a reason. Everyone affected is notified."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.accounts.models import Role, User
from server.db import utcnow
from server.errors import N_, Conflict, Forbidden, Invalid
from server.notifications import service as notifications
from server.shows.models import MAX_DURATION_MINUTES, Approval, Show, ShowCreator, ShowState
from server.trust import identity

BLOCKING_STATES = (ShowState.SCHEDULED, ShowState.LIVE)


class BookingConflict(Conflict):
    code = "booking_conflict"


@dataclass(frozen=True)
class Clash:
    other: Show
    creator: User | None  # None: the same store; else this creator is booked twice

    def error(self) -> BookingConflict:
        if self.creator is None:
            return BookingConflict(
                N_("This time overlaps with the store's show \u201c%(title)s\u201d."),
                title=self.other.title,
            )
        return BookingConflict(
            N_("%(creator)s already presents \u201c%(title)s\u201d at that time."),
            creator=self.creator.display_name,
            title=self.other.title,
        )


def _overlaps(a_start: dt.datetime, a_end: dt.datetime, b: Show) -> bool:
    return b.scheduled_start < a_end and b.scheduled_end > a_start


async def find_clashes(
    session: AsyncSession,
    *,
    store_id: int,
    creator_ids: Sequence[int],
    start: dt.datetime,
    duration_minutes: int,
    exclude_show_id: int | None = None,
) -> list[Clash]:
    end = start + dt.timedelta(minutes=duration_minutes)
    earliest = start - dt.timedelta(minutes=MAX_DURATION_MINUTES)
    query = (
        select(Show)
        .where(
            Show.state.in_(BLOCKING_STATES),
            Show.approval != Approval.DECLINED,
            Show.scheduled_start < end,
            Show.scheduled_start > earliest,
        )
        .where(
            or_(
                Show.store_id == store_id,
                Show.id.in_(
                    select(ShowCreator.show_id).where(
                        ShowCreator.creator_id.in_(creator_ids or [-1])
                    )
                ),
            )
        )
        .options(selectinload(Show.creators))
    )
    if exclude_show_id is not None:
        query = query.where(Show.id != exclude_show_id)
    clashes: list[Clash] = []
    for other in await session.scalars(query):
        if not _overlaps(start, end, other):
            continue
        if other.store_id == store_id:
            clashes.append(Clash(other, None))
        clashes.extend(Clash(other, c) for c in other.creators if c.id in creator_ids)
    return clashes


async def check_booking(
    session: AsyncSession,
    *,
    store_id: int,
    creator_ids: Sequence[int],
    start: dt.datetime,
    duration_minutes: int,
    exclude_show_id: int | None = None,
) -> None:
    clashes = await find_clashes(
        session,
        store_id=store_id,
        creator_ids=creator_ids,
        start=start,
        duration_minutes=duration_minutes,
        exclude_show_id=exclude_show_id,
    )
    if clashes:
        raise clashes[0].error()


def clashes_among(shows: Sequence[Show]) -> dict[int, list[str]]:
    """For a calendar: which of these shows clash with another one, and why (titles)."""
    flags: dict[int, list[str]] = {}
    active = [
        s for s in shows if s.state in BLOCKING_STATES and s.approval is not Approval.DECLINED
    ]
    for i, a in enumerate(active):
        for b in active[i + 1 :]:
            if not _overlaps(a.scheduled_start, a.scheduled_end, b):
                continue
            shared = {c.id for c in a.creators} & {c.id for c in b.creators}
            if a.store_id == b.store_id or shared:
                flags.setdefault(a.id, []).append(b.title)
                flags.setdefault(b.id, []).append(a.title)
    return flags


async def staff_of(session: AsyncSession, show: Show) -> list[int]:
    """The merchants of the show's store and its creators: who hears about changes."""
    merchants = await session.scalars(
        select(User.id).where(User.store_id == show.store_id, User.role == Role.MERCHANT)
    )
    return [*merchants, *(c.id for c in show.creators)]


async def operators(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(User.id).where(User.role == Role.OPERATOR)))


def _require_operator(actor: User) -> None:
    if actor.role is not Role.OPERATOR:
        raise Forbidden(N_("Only operators can approve, decline or move shows."))


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise Invalid(N_("Give a reason; the merchant and creators will see it."), field="reason")
    return reason


async def announce_request(session: AsyncSession, show: Show) -> None:
    await notifications.notify(
        session,
        await operators(session),
        N_("%(store)s requests a slot: %(title)s"),
        link=f"/shows/{show.id}",
        store=show.store.name,
        title=show.title,
    )


async def approve(session: AsyncSession, actor: User, show: Show) -> None:
    _require_operator(actor)
    if show.approval is Approval.APPROVED:
        return
    identity.check_may_go_public(show)
    show.approval = Approval.APPROVED
    show.operator_note = ""
    await notifications.notify(
        session,
        await staff_of(session, show),
        N_("Your show \u201c%(title)s\u201d was approved."),
        link=f"/shows/{show.id}",
        title=show.title,
    )


async def decline(session: AsyncSession, actor: User, show: Show, reason: str) -> None:
    _require_operator(actor)
    if show.state is not ShowState.SCHEDULED:
        raise Conflict(N_("Only a scheduled show can be declined."))
    show.approval = Approval.DECLINED
    show.operator_note = _require_reason(reason)
    await notifications.notify(
        session,
        await staff_of(session, show),
        N_("Your show \u201c%(title)s\u201d was declined: %(reason)s"),
        link=f"/shows/{show.id}",
        title=show.title,
        reason=show.operator_note,
    )


async def reschedule(
    session: AsyncSession,
    actor: User,
    show: Show,
    start: dt.datetime,
    duration_minutes: int,
    reason: str,
) -> None:
    _require_operator(actor)
    reason = _require_reason(reason)
    if show.state is not ShowState.SCHEDULED:
        raise Conflict(N_("Only a scheduled show can be moved."))
    if start < utcnow():
        raise Invalid(N_("The start time is in the past."), field="scheduled_start")
    if not 5 <= duration_minutes <= MAX_DURATION_MINUTES:
        raise Invalid(
            N_("A show lasts between 5 and %(max)d minutes."),
            field="duration_minutes",
            max=MAX_DURATION_MINUTES,
        )
    await check_booking(
        session,
        store_id=show.store_id,
        creator_ids=[c.id for c in show.creators],
        start=start,
        duration_minutes=duration_minutes,
        exclude_show_id=show.id,
    )
    show.scheduled_start = start
    show.duration_minutes = duration_minutes
    show.operator_note = reason
    # Reminders go out again for the new time.
    audience = [
        *await staff_of(session, show),
        *await notifications.reminder_holders(session, show.id),
    ]
    await notifications.reset_reminders(session, show.id)
    await notifications.notify(
        session,
        audience,
        N_("\u201c%(title)s\u201d moved to a new time: %(reason)s"),
        link=f"/shows/{show.id}",
        title=show.title,
        reason=reason,
    )


async def announce_cancellation(session: AsyncSession, show: Show) -> None:
    audience = [
        *await staff_of(session, show),
        *await notifications.reminder_holders(session, show.id),
    ]
    await notifications.notify(
        session,
        audience,
        N_("\u201c%(title)s\u201d was cancelled: %(reason)s"),
        link=f"/shows/{show.id}",
        title=show.title,
        reason=show.cancel_reason,
    )


async def shows_between(
    session: AsyncSession,
    start: dt.datetime,
    end: dt.datetime,
    *,
    store_id: int | None = None,
    creator_id: int | None = None,
    public_only: bool = False,
) -> list[Show]:
    """Shows that start in [start, end): went live then, or are planned to and have not
    gone live yet (a show that went live on another day is on that day)."""
    started = func.coalesce(Show.started_at, Show.scheduled_start)
    query = (
        select(Show)
        .where(started >= start, started < end)
        .order_by(started)
        .options(selectinload(Show.store), selectinload(Show.creators))
    )
    if store_id is not None:
        query = query.where(Show.store_id == store_id)
    if creator_id is not None:
        query = query.where(
            Show.id.in_(select(ShowCreator.show_id).where(ShowCreator.creator_id == creator_id))
        )
    if public_only:
        query = query.where(Show.approval == Approval.APPROVED, Show.state.in_(BLOCKING_STATES))
    return list(await session.scalars(query))


async def pending_requests(session: AsyncSession) -> list[Show]:
    return list(
        await session.scalars(
            select(Show)
            .where(Show.approval == Approval.REQUESTED, Show.state == ShowState.SCHEDULED)
            .order_by(Show.scheduled_start)
            .options(selectinload(Show.store), selectinload(Show.creators))
        )
    )
