"""A creator's public profile: the roles they take, where they travel, their languages,
a short bio, a portfolio of the shows they actually worked on (with the numbers each
show's merchant allowed to publish) and the reviews they received."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.accounts.models import Role, User
from server.analytics.interfaces import SalesFiguresSource
from server.analytics.stats import show_numbers
from server.db import utcnow
from server.errors import N_, Forbidden
from server.jobs.errors import BadJobInput, ProfileNotFound
from server.jobs.models import (
    Application,
    ApplicationStatus,
    CreatorProfile,
    CrewRole,
    Job,
    ShowPublication,
)
from server.jobs.reviews import ShownReview, rating, received
from server.markets.regions import PROVINCES
from server.shows.models import Approval, Show, ShowCreator, ShowState

MAX_BIO = 600
MAX_LANGUAGES = 8


@dataclass(frozen=True)
class ProfileInput:
    roles: Sequence[str]
    regions: Sequence[str]
    languages: Sequence[str]
    bio: str


async def get_profile(session: AsyncSession, user_id: int) -> CreatorProfile | None:
    return await session.get(CreatorProfile, user_id)


def _check(data: ProfileInput) -> ProfileInput:
    roles = [r for r in CrewRole if r.value in data.roles]
    if not roles:
        raise BadJobInput(N_("Choose at least one role you take."), field="roles")
    regions = [p for p in PROVINCES if p in data.regions]
    if len(regions) != len(set(data.regions)):
        raise BadJobInput(N_("Choose a 시/도."), field="regions")
    languages = list(dict.fromkeys(x.strip() for x in data.languages if x.strip()))
    if not languages or len(languages) > MAX_LANGUAGES or any(len(x) > 30 for x in languages):
        raise BadJobInput(
            N_("Name the languages you speak, e.g. 한국어, English."), field="languages"
        )
    bio = data.bio.strip()
    if not 1 <= len(bio) <= MAX_BIO:
        raise BadJobInput(
            N_("Write a short bio of up to %(n)d characters."), field="bio", n=MAX_BIO
        )
    return ProfileInput([r.value for r in roles], regions, languages, bio)


async def save_profile(session: AsyncSession, actor: User, data: ProfileInput) -> CreatorProfile:
    if not (actor.is_active and actor.role is Role.CREATOR):
        raise Forbidden(N_("Only creators have a profile."))
    data = _check(data)
    profile = await get_profile(session, actor.id)
    if profile is None:
        profile = CreatorProfile(user_id=actor.id)
        session.add(profile)
    profile.roles, profile.regions = list(data.roles), list(data.regions)
    profile.languages, profile.bio = list(data.languages), data.bio
    profile.updated_at = utcnow()
    await session.flush()
    return profile


@dataclass(frozen=True)
class PortfolioEntry:
    show: Show
    role: str | None  # the role hired for, when the show came through a job
    viewers: int | None  # None: the merchant keeps it private
    orders: int | None


async def portfolio(
    session: AsyncSession, user_id: int, sales: SalesFiguresSource | None
) -> list[PortfolioEntry]:
    """Ended public shows the creator worked on, newest first."""
    worked = list(
        await session.scalars(
            select(Show)
            .join(ShowCreator, ShowCreator.show_id == Show.id)
            .where(
                ShowCreator.creator_id == user_id,
                Show.state == ShowState.ENDED,
                Show.approval == Approval.APPROVED,
            )
            .order_by(Show.ended_at.desc())
            .options(selectinload(Show.store), selectinload(Show.creators))
        )
    )
    if not worked:
        return []
    ids = [s.id for s in worked]
    allowed = {
        p.show_id: p
        for p in await session.scalars(
            select(ShowPublication).where(ShowPublication.show_id.in_(ids))
        )
    }
    roles = dict(
        (
            await session.execute(
                select(Job.show_id, Application.hired_role)
                .join(Job, Job.id == Application.job_id)
                .where(
                    Application.creator_id == user_id,
                    Application.status == ApplicationStatus.HIRED,
                    Job.show_id.in_(ids),
                )
            )
        ).all()
    )
    numbers = {n.show.id: n for n in await show_numbers(session, worked, None, sales)}
    entries = []
    for show in worked:
        publication = allowed.get(show.id)
        n = numbers[show.id]
        entries.append(
            PortfolioEntry(
                show=show,
                role=roles.get(show.id),
                viewers=n.unique_viewers if publication and publication.viewers else None,
                orders=n.orders if publication and publication.orders else None,
            )
        )
    return entries


@dataclass(frozen=True)
class PublicProfile:
    user: User
    profile: CreatorProfile
    portfolio: list[PortfolioEntry]
    reviews: list[ShownReview]
    stars: float
    review_count: int


async def public_profile(
    session: AsyncSession, user_id: int, sales: SalesFiguresSource | None
) -> PublicProfile:
    user = await session.get(User, user_id)
    profile = await get_profile(session, user_id)
    if user is None or profile is None or user.role is not Role.CREATOR or not user.is_active:
        raise ProfileNotFound()
    reviews = await received(session, user_id)
    stars, count = rating(reviews)
    return PublicProfile(
        user, profile, await portfolio(session, user_id, sales), reviews, stars, count
    )


async def find_creators(
    session: AsyncSession, *, role: str = "", region: str = ""
) -> list[tuple[User, CreatorProfile]]:
    """Active creators with a profile, filtered by a role and a 시/도 they travel to."""
    rows = (
        await session.execute(
            select(User, CreatorProfile)
            .join(CreatorProfile, CreatorProfile.user_id == User.id)
            .where(User.role == Role.CREATOR)
            .order_by(User.display_name)
        )
    ).all()
    return [
        (user, profile)
        for user, profile in rows
        if user.is_active
        and (not role or role in profile.roles)
        and (not region or region in profile.regions)
    ]


async def set_publication(
    session: AsyncSession, actor: User, show: Show, *, viewers: bool, orders: bool
) -> ShowPublication:
    """The merchant decides which of the show's numbers its crew may publish."""
    if not (actor.is_active and actor.role is Role.MERCHANT and actor.store_id == show.store_id):
        raise Forbidden(N_("Only the merchant of this show's store can decide this."))
    publication = await session.get(ShowPublication, show.id)
    if publication is None:
        publication = ShowPublication(show_id=show.id)
        session.add(publication)
    publication.viewers, publication.orders = viewers, orders
    await session.flush()
    return publication


async def get_publication(session: AsyncSession, show_id: int) -> ShowPublication | None:
    return await session.get(ShowPublication, show_id)
