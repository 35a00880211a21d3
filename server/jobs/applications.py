"""Applying for a show job, and the merchant's answer: hire (for a role) or decline.
A creator only ever sees their own applications; the merchant sees the job's."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.accounts.models import Role, User
from server.db import utcnow
from server.errors import N_, Forbidden
from server.i18n import format_krw
from server.jobs import hiring, queries
from server.jobs.errors import ApplicationNotFound, BadJobInput, JobConflict
from server.jobs.models import Application, ApplicationStatus, Job, JobStatus
from server.jobs.notices import Outbox
from server.jobs.postings import get_job, require_poster
from server.shows.models import Show

MAX_MESSAGE = 1000
# One sentence per role, so a notice never shows a role's code inside a sentence.
APPLIED = {
    "host": N_("%(name)s applied to host “%(title)s”."),
    "camera": N_("%(name)s applied to film “%(title)s”."),
    "writer": N_("%(name)s applied to write for “%(title)s”."),
}
HIRED = {
    "host": N_("You will host “%(title)s” (%(pay)s)."),
    "camera": N_("You will film “%(title)s” (%(pay)s)."),
    "writer": N_("You will write for “%(title)s” (%(pay)s)."),
}


async def apply(
    session: AsyncSession, outbox: Outbox, actor: User, job: Job, role: str, message: str
) -> Application:
    if not (actor.is_active and actor.role is Role.CREATOR):
        raise Forbidden(N_("Only creators can apply for show jobs."))
    if job.status is not JobStatus.OPEN or job.show.scheduled_start <= utcnow():
        raise JobConflict(N_("This job is no longer open."))
    if job.pay_for(role) is None:
        raise BadJobInput(N_("Apply for one of the roles this job offers."), field="role")
    if role in await queries.hired_roles(session, job.id):
        raise JobConflict(N_("Someone was already hired for this role."))
    message = message.strip()
    if not 1 <= len(message) <= MAX_MESSAGE:
        raise BadJobInput(
            N_("Write a short message to the merchant (up to %(n)d characters)."),
            field="message",
            n=MAX_MESSAGE,
        )
    earlier = await session.scalar(
        select(Application.id).where(
            Application.job_id == job.id, Application.creator_id == actor.id
        )
    )
    if earlier is not None:
        raise JobConflict(N_("You have already applied for this job."))
    application = Application(job_id=job.id, creator_id=actor.id, role=role, message=message)
    session.add(application)
    await session.flush()
    outbox.tell(
        [job.posted_by],
        APPLIED[role],
        f"/jobs/{job.id}/applicants",
        name=actor.display_name,
        title=job.show.title,
    )
    return application


async def get_application(session: AsyncSession, application_id: int) -> Application:
    application = await session.scalar(
        select(Application)
        .where(Application.id == application_id)
        .options(selectinload(Application.creator))
        .execution_options(populate_existing=True)
    )
    if application is None:
        raise ApplicationNotFound(application_id=application_id)
    return application


async def mine(session: AsyncSession, creator_id: int) -> list[Application]:
    """A creator's own applications, newest first, with their jobs and shows."""
    rows = await session.scalars(
        select(Application)
        .where(Application.creator_id == creator_id)
        .order_by(Application.created_at.desc())
        .options(
            selectinload(Application.job).selectinload(Job.show).selectinload(Show.store),
            selectinload(Application.job).selectinload(Job.roles),
        )
    )
    return list(rows)


async def own_application(
    session: AsyncSession, creator_id: int, job_id: int
) -> Application | None:
    return await session.scalar(
        select(Application).where(
            Application.creator_id == creator_id, Application.job_id == job_id
        )
    )


async def of_job(session: AsyncSession, actor: User, job: Job) -> list[Application]:
    """The applicants, for the merchant who posted the job (operators may look too)."""
    if actor.role is not Role.OPERATOR:
        require_poster(actor, job)
    rows = await session.scalars(
        select(Application)
        .where(Application.job_id == job.id)
        .order_by(Application.created_at)
        .options(selectinload(Application.creator))
    )
    return list(rows)


async def withdraw(session: AsyncSession, actor: User, application: Application) -> None:
    if application.creator_id != actor.id:
        raise Forbidden(N_("You can only withdraw your own application."))
    if application.status is not ApplicationStatus.APPLIED:
        raise JobConflict(N_("This application was already answered."))
    application.status = ApplicationStatus.WITHDRAWN
    application.decided_at = utcnow()


async def _answerable(
    session: AsyncSession, actor: User, application_id: int
) -> tuple[Application, Job]:
    application = await get_application(session, application_id)
    job = await get_job(session, application.job_id)
    require_poster(actor, job)
    if job.status is not JobStatus.OPEN:
        raise JobConflict(N_("This job is no longer open."))
    if application.status is not ApplicationStatus.APPLIED:
        raise JobConflict(N_("This application was already answered."))
    return application, job


async def hire(
    session: AsyncSession,
    outbox: Outbox,
    actor: User,
    application_id: int,
    role: str | None = None,
) -> Application:
    """Hire an applicant for `role` (the one they applied for unless the merchant picks
    another the job offers). When every role is taken the job is filled and the others
    hear so."""
    application, job = await _answerable(session, actor, application_id)
    role = role or application.role
    if job.pay_for(role) is None:
        raise BadJobInput(N_("Hire for one of the roles this job offers."), field="role")
    hired = await queries.hired_roles(session, job.id)
    if role in hired:
        raise JobConflict(N_("Someone was already hired for this role."))
    if job.show.scheduled_start <= utcnow():
        raise JobConflict(N_("This show's start time has passed."))
    await hiring.put_on_show(session, job.show, application.creator_id, role)
    application.status = ApplicationStatus.HIRED
    application.hired_role = role
    application.decided_at = utcnow()
    outbox.tell(
        [application.creator_id],
        HIRED[role],
        f"/studio/shows/{job.show_id}",
        title=job.show.title,
        pay=format_krw(job.pay_for(role)),
    )
    if {r.role for r in job.roles} <= hired | {role}:
        await _fill(session, outbox, job)
    await session.flush()
    return application


async def _fill(session: AsyncSession, outbox: Outbox, job: Job) -> None:
    job.status = JobStatus.FILLED
    waiting = await session.scalars(
        select(Application).where(
            Application.job_id == job.id, Application.status == ApplicationStatus.APPLIED
        )
    )
    declined = []
    for other in waiting:
        other.status = ApplicationStatus.DECLINED
        other.decided_at = utcnow()
        declined.append(other.creator_id)
    outbox.tell(
        declined,
        N_("The job for “%(title)s” was filled. Thank you for applying."),
        "/jobs/mine",
        title=job.show.title,
    )


async def decline(
    session: AsyncSession, outbox: Outbox, actor: User, application_id: int
) -> Application:
    application, job = await _answerable(session, actor, application_id)
    application.status = ApplicationStatus.DECLINED
    application.decided_at = utcnow()
    outbox.tell(
        [application.creator_id],
        N_("Your application for “%(title)s” was not taken this time."),
        "/jobs/mine",
        title=job.show.title,
    )
    return application
