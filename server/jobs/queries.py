"""Small questions about a job's applications that postings and hiring both ask."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.jobs.models import Application, ApplicationStatus


async def hired_roles(session: AsyncSession, job_id: int) -> set[str]:
    rows = await session.scalars(
        select(Application.hired_role).where(
            Application.job_id == job_id, Application.status == ApplicationStatus.HIRED
        )
    )
    return {r for r in rows if r}


async def applicant_ids(session: AsyncSession, job_id: int) -> list[int]:
    """Creators still waiting for an answer on this job."""
    return list(
        await session.scalars(
            select(Application.creator_id).where(
                Application.job_id == job_id, Application.status == ApplicationStatus.APPLIED
            )
        )
    )
