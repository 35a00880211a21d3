"""Demo jobs for `make run`: the demo creator's profile, a portfolio entry from the
finished show (its merchant lets the crew publish viewers and orders), the reviews both
sides wrote, and an open job on an upcoming show."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.analytics.models import ViewerVisit
from server.jobs.models import CreatorProfile, Job, JobRole, Review, ShowPublication
from server.shows.models import Show, ShowState

DEMO_VIEWERS = 37


async def seed_jobs(session: AsyncSession) -> None:
    creator = await session.scalar(select(User).where(User.role == Role.CREATOR))
    if creator is None:
        return
    session.add(
        CreatorProfile(
            user_id=creator.id,
            roles=["host", "writer"],
            regions=["서울", "경기"],
            languages=["한국어", "English"],
            bio="시장 골목을 좋아하는 라이브 진행자. 반찬과 공예품 방송을 주로 합니다.",
        )
    )
    shows = list(await session.scalars(select(Show).order_by(Show.scheduled_start)))
    finished = next((s for s in shows if s.state is ShowState.ENDED), None)
    if finished is not None and finished.started_at is not None:
        await _finished_show(session, finished, creator)
    upcoming = next((s for s in shows if s.state is ShowState.SCHEDULED), None)
    if upcoming is not None:
        merchant = await _merchant_of(session, upcoming.store_id)
        job = Job(
            show_id=upcoming.id,
            store_id=upcoming.store_id,
            posted_by=merchant.id,
            region="서울",
            place="망원시장 안 가게 앞",
            prepare="편한 신발, 보조 배터리. 시식 반찬은 가게에서 준비합니다.",
        )
        job.roles = [JobRole(role="camera", pay=80000), JobRole(role="writer", pay=60000)]
        session.add(job)
    await session.flush()


async def _merchant_of(session: AsyncSession, store_id: int) -> User:
    merchant = await session.scalar(
        select(User).where(User.store_id == store_id, User.role == Role.MERCHANT)
    )
    assert merchant is not None
    return merchant


async def _finished_show(session: AsyncSession, show: Show, creator: User) -> None:
    assert show.started_at is not None
    for n in range(DEMO_VIEWERS):
        joined = show.started_at + dt.timedelta(minutes=n % 40)
        session.add(
            ViewerVisit(
                show_id=show.id,
                viewer_key=f"demo-{n}",
                joined_at=joined,
                left_at=joined + dt.timedelta(minutes=12),
            )
        )
    session.add(ShowPublication(show_id=show.id, viewers=True, orders=True))
    merchant = await _merchant_of(session, show.store_id)
    session.add(
        Review(
            show_id=show.id,
            author_id=merchant.id,
            subject_id=creator.id,
            stars=5,
            comment="손님들 질문을 놓치지 않고 잘 받아 주셨어요.",
        )
    )
    session.add(
        Review(
            show_id=show.id,
            author_id=creator.id,
            subject_id=merchant.id,
            stars=5,
            comment="준비를 꼼꼼히 해 주셔서 편하게 진행했습니다.",
        )
    )
