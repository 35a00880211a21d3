"""Reports of a show (false or exaggerated advertising, goods that may not be sold,
abuse) made from the player or the replay at one moment, and the operators' queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.accounts.models import Role, User
from server.db import utcnow
from server.errors import N_, Forbidden
from server.notifications import service as notifications
from server.shows import service as shows
from server.shows.models import Show, ShowState
from server.shows.scheduling import operators
from server.trust.errors import BadTrustInput, ReportNotFound
from server.trust.models import ReportKind, ShowReport

# A viewer's open reports of one show: enough for real concerns, a cap on flooding.
MAX_OPEN_PER_VIEWER = 5
MAX_OFFSET_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ReportInput:
    kind: str
    details: str
    offset_seconds: str  # as typed or filled in by the player; "" when unknown
    during_replay: bool


@dataclass(frozen=True)
class QueueItem:
    report: ShowReport
    show: Show
    reporter_name: str


def _offset(raw: str, show: Show, now: dt.datetime) -> int | None:
    raw = raw.strip()
    if raw:
        try:
            value = int(float(raw))
        except (ValueError, OverflowError):  # "abc", "nan", "inf"
            value = -1
        if not 0 <= value <= MAX_OFFSET_SECONDS:
            raise BadTrustInput(N_("The moment of the show is not valid."), field="offset")
        return value
    # Reported while live without a player time: the moment is now.
    if show.state is ShowState.LIVE and show.started_at is not None:
        return max(0, int((now - show.started_at).total_seconds()))
    return None


async def report(session: AsyncSession, user: User, show_id: int, data: ReportInput) -> ShowReport:
    # The one visibility rule: a show the viewer may not see does not exist for them.
    show = await shows.get_visible_show(session, user, show_id)
    if show.state not in (ShowState.LIVE, ShowState.ENDED):
        raise BadTrustInput(N_("Only a live show or its replay can be reported."))
    try:
        kind = ReportKind(data.kind)
    except ValueError:
        raise BadTrustInput(N_("Choose what is wrong."), field="kind") from None
    details = data.details.strip()
    if len(details) > 2000 or (kind is ReportKind.OTHER and len(details) < 5):
        raise BadTrustInput(
            N_("Describe what you saw in up to 2,000 characters (at least 5 for “other”)."),
            field="details",
        )
    now = utcnow()
    open_count = await session.scalar(
        select(func.count(ShowReport.id)).where(
            ShowReport.show_id == show.id,
            ShowReport.reporter_id == user.id,
            ShowReport.resolved_at.is_(None),
        )
    )
    if (open_count or 0) >= MAX_OPEN_PER_VIEWER:
        raise BadTrustInput(N_("You have already reported this show; operators are on it."))
    item = ShowReport(
        show_id=show.id,
        reporter_id=user.id,
        kind=kind,
        offset_seconds=_offset(data.offset_seconds, show, now),
        during_replay=data.during_replay or show.state is ShowState.ENDED,
        details=details,
        created_at=now,
        resolution_note="",
    )
    session.add(item)
    await session.flush()
    await notifications.notify(
        session,
        await operators(session),
        N_("A viewer reported the show “%(title)s”."),
        link="/ops/reports",
        title=show.title,
    )
    return item


async def queue(session: AsyncSession, user: User, *, resolved: bool = False) -> list[QueueItem]:
    if user.role is not Role.OPERATOR:
        raise Forbidden(N_("Only operators can see this."))
    done = ShowReport.resolved_at.is_not(None) if resolved else ShowReport.resolved_at.is_(None)
    rows = list(
        await session.scalars(
            select(ShowReport).where(done).order_by(ShowReport.created_at.desc()).limit(300)
        )
    )
    reporter_ids = {r.reporter_id for r in rows if r.reporter_id}
    names: dict[int, str] = {
        user_id: name
        for user_id, name in await session.execute(
            select(User.id, User.display_name).where(User.id.in_(reporter_ids))
        )
    }
    found = {
        s.id: s
        for s in await session.scalars(
            select(Show)
            .where(Show.id.in_({r.show_id for r in rows}))
            .options(selectinload(Show.store))
        )
    }
    return [
        QueueItem(r, found[r.show_id], names.get(r.reporter_id or 0, ""))
        for r in rows
        if r.show_id in found
    ]


async def resolve(session: AsyncSession, user: User, report_id: int, note: str) -> ShowReport:
    if user.role is not Role.OPERATOR:
        raise Forbidden(N_("Only operators can see this."))
    item = await session.get(ShowReport, report_id)
    if item is None:
        raise ReportNotFound(report_id=report_id)
    note = note.strip()
    if not 2 <= len(note) <= 2000:
        raise BadTrustInput(
            N_("Write what you found or did (2 to 2,000 characters)."), field="note"
        )
    if item.resolved_at is None:
        item.resolved_at = utcnow()
        item.resolved_by = user.id
        item.resolution_note = note
        await session.flush()
    return item
