"""Show jobs: a merchant posts one for a show of their store, edits or closes it; creators
browse the open ones by role, region and day; operators can take one down with a reason."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from server.accounts.models import Role, User
from server.db import utcnow
from server.errors import N_, Forbidden
from server.i18n import SEOUL
from server.jobs import queries
from server.jobs.errors import BadJobInput, JobConflict, JobNotFound, NotYourJob
from server.jobs.models import CreatorProfile, CrewRole, Job, JobRole, JobStatus
from server.jobs.notices import Outbox
from server.limits import is_whole
from server.markets.regions import PROVINCES
from server.shows import service as shows
from server.shows.models import Approval, Show, ShowState

MAX_PAY = 10_000_000
ACTIVE = (JobStatus.OPEN, JobStatus.FILLED)


@dataclass(frozen=True)
class JobInput:
    roles: Mapping[str, int]  # role -> pay in KRW
    region: str = ""
    place: str = ""
    remote: bool = False
    prepare: str = ""


def parse_won(raw: str, field: str) -> int:
    """A pay in won as people type it ("150000", "150,000", "150,000원")."""
    text = re.sub(r"[\s,원₩]", "", raw)
    if not is_whole(text) or not 0 < int(text) <= MAX_PAY:
        raise BadJobInput(
            N_("Enter the pay in won, a whole number above 0 (e.g. 150000)."), field=field
        )
    return int(text)


def _check(data: JobInput) -> JobInput:
    if not data.roles:
        raise BadJobInput(N_("Choose at least one role and its pay."), field="roles")
    for role, pay in data.roles.items():
        if role not in CrewRole.__members__.values():
            raise BadJobInput(N_("Choose host, camera or writer."), field="roles")
        if isinstance(pay, bool) or not isinstance(pay, int) or not 0 < pay <= MAX_PAY:
            raise BadJobInput(
                N_("Enter the pay in won, a whole number above 0 (e.g. 150000)."),
                field=f"pay_{role}",
            )
    if data.region and data.region not in PROVINCES:
        raise BadJobInput(N_("Choose a 시/도."), field="region")
    if not data.remote and not (data.region and data.place.strip()):
        raise BadJobInput(
            N_("Say where the show takes place (시/도 and place), or mark it remote."),
            field="place",
        )
    if len(data.place) > 255 or len(data.prepare) > 2000:
        raise BadJobInput(N_("The place or the notes are too long."), field="place")
    return data


def _check_show(show: Show) -> None:
    if show.state is not ShowState.SCHEDULED or show.approval is Approval.DECLINED:
        raise JobConflict(N_("Jobs can only be posted for a show that is still planned."))
    if show.scheduled_start <= utcnow():
        raise BadJobInput(
            N_("This show's start time has passed; post jobs for a show to come."),
            field="show_id",
        )


def _is_merchant_of(user: User, store_id: int) -> bool:
    return user.is_active and user.role is Role.MERCHANT and user.store_id == store_id


def _load() -> tuple[ExecutableOption, ...]:
    return (
        selectinload(Job.roles),
        selectinload(Job.store),
        selectinload(Job.show).selectinload(Show.creators),
    )


async def get_job(session: AsyncSession, job_id: int) -> Job:
    job = await session.scalar(
        select(Job)
        .where(Job.id == job_id)
        .options(*_load())
        .execution_options(populate_existing=True)
    )
    if job is None:
        raise JobNotFound(job_id=job_id)
    return job


async def post_job(
    session: AsyncSession, outbox: Outbox, actor: User, show_id: int, data: JobInput
) -> Job:
    show = await shows.get_show(session, show_id)
    if not _is_merchant_of(actor, show.store_id):
        raise Forbidden(N_("Only the merchant of this show's store can post a job for it."))
    _check_show(show)
    data = _check(data)
    taken = await session.scalar(
        select(Job.id).where(Job.show_id == show.id, Job.status.in_(ACTIVE))
    )
    if taken is not None:
        raise JobConflict(N_("This show already has a job; change that one instead."))
    job = Job(
        show_id=show.id,
        store_id=show.store_id,
        posted_by=actor.id,
        region="" if data.remote and not data.region else data.region,
        place=data.place.strip(),
        remote=data.remote,
        prepare=data.prepare.strip(),
    )
    job.roles = [JobRole(role=r, pay=p) for r, p in data.roles.items()]
    session.add(job)
    await session.flush()
    job = await get_job(session, job.id)
    outbox.tell(
        await _matching_creators(session, job),
        N_("New job for “%(title)s” at %(store)s: see the roles and the pay."),
        f"/jobs/{job.id}",
        title=show.title,
        store=show.store.name,
    )
    return job


async def _matching_creators(session: AsyncSession, job: Job) -> list[int]:
    """Creators whose profile takes one of the roles in the job's region (any region for
    a remote job)."""
    wanted = {r.role for r in job.roles}
    rows = await session.execute(
        select(CreatorProfile)
        .join(User, User.id == CreatorProfile.user_id)
        .where(User.role == Role.CREATOR)
    )
    return [
        p.user_id
        for p in rows.scalars()
        if wanted & set(p.roles) and (job.remote or job.region in p.regions)
    ]


async def invite(
    session: AsyncSession, outbox: Outbox, actor: User, job: Job, creator_id: int
) -> None:
    """Ask one creator to apply (the merchant picked them from the profiles)."""
    require_poster(actor, job)
    creator = await session.get(User, creator_id)
    if creator is None or creator.role is not Role.CREATOR or not creator.is_active:
        raise BadJobInput(N_("Choose a creator from the list."), field="invite")
    outbox.tell(
        [creator.id],
        N_("%(store)s invites you to apply for “%(title)s”."),
        f"/jobs/{job.id}",
        store=job.store.name,
        title=job.show.title,
    )


def require_poster(actor: User, job: Job) -> None:
    if not _is_merchant_of(actor, job.store_id):
        raise NotYourJob()


async def update_job(session: AsyncSession, actor: User, job: Job, data: JobInput) -> Job:
    require_poster(actor, job)
    if job.status is not JobStatus.OPEN:
        raise JobConflict(N_("Only an open job can be changed."))
    _check_show(job.show)
    data = _check(data)
    hired = await queries.hired_roles(session, job.id)
    if hired - set(data.roles):
        raise JobConflict(N_("A role someone was hired for cannot be taken out."))
    job.region = "" if data.remote and not data.region else data.region
    job.place, job.remote, job.prepare = data.place.strip(), data.remote, data.prepare.strip()
    current = {r.role: r for r in job.roles}
    for role, pay in data.roles.items():
        if role in current:
            current[role].pay = pay
        else:
            job.roles.append(JobRole(role=role, pay=pay))
    job.roles = [r for r in job.roles if r.role in data.roles]
    await session.flush()
    return await get_job(session, job.id)


async def close_job(session: AsyncSession, actor: User, job: Job) -> None:
    require_poster(actor, job)
    if job.status is JobStatus.OPEN:
        job.status = JobStatus.CLOSED


async def remove_job(
    session: AsyncSession, outbox: Outbox, actor: User, job: Job, reason: str
) -> None:
    """An operator takes a job down; the merchant and the applicants hear why."""
    if actor.role is not Role.OPERATOR:
        raise Forbidden(N_("Only operators can take a job down."))
    if not reason.strip():
        raise BadJobInput(N_("Give a reason; the merchant will see it."), field="reason")
    job.status = JobStatus.REMOVED
    job.removed_reason = reason.strip()
    outbox.tell(
        [job.posted_by, *await queries.applicant_ids(session, job.id)],
        N_("The job for “%(title)s” was taken down: %(reason)s"),
        f"/jobs/{job.id}",
        title=job.show.title,
        reason=job.removed_reason,
    )


def _seoul_day(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=SEOUL).astimezone(dt.UTC)
    return start, start + dt.timedelta(days=1)


async def browse(
    session: AsyncSession,
    *,
    role: str = "",
    region: str = "",
    day: dt.date | None = None,
) -> list[Job]:
    """Open jobs for shows still to come, soonest first. A region filter keeps remote
    jobs (anyone can take them)."""
    query = (
        select(Job)
        .join(Show, Show.id == Job.show_id)
        .where(Job.status == JobStatus.OPEN, Show.scheduled_start > utcnow())
        .order_by(Show.scheduled_start)
        .options(*_load())
    )
    if role:
        query = query.where(Job.id.in_(select(JobRole.job_id).where(JobRole.role == role)))
    if region:
        query = query.where((Job.region == region) | Job.remote.is_(True))
    if day is not None:
        start, end = _seoul_day(day)
        query = query.where(Show.scheduled_start >= start, Show.scheduled_start < end)
    return list(await session.scalars(query))


async def jobs_of_store(session: AsyncSession, store_id: int) -> list[Job]:
    return list(
        await session.scalars(
            select(Job)
            .where(Job.store_id == store_id)
            .order_by(Job.created_at.desc())
            .options(*_load())
        )
    )


async def job_of_show(session: AsyncSession, show_id: int) -> Job | None:
    return await session.scalar(
        select(Job).where(Job.show_id == show_id, Job.status.in_(ACTIVE)).options(*_load())
    )


async def board(session: AsyncSession, limit: int = 300) -> list[Job]:
    """Every job, newest first, for the operators."""
    return list(
        await session.scalars(
            select(Job).order_by(Job.created_at.desc()).limit(limit).options(*_load())
        )
    )
