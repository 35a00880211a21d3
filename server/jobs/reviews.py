"""After a show, its merchant and its crew review each other: 1–5 stars and a comment,
shown once both sides have written or 14 days after the show ended. Operators can take
a review down with a reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, User
from server.db import utcnow
from server.errors import N_, Forbidden, NotFound
from server.events import LiveEvent
from server.jobs import hiring
from server.jobs.errors import BadReview, ReviewConflict, ReviewRefused
from server.jobs.models import Review
from server.jobs.notices import JobNotifier, Outbox
from server.limits import is_whole
from server.shows import service as shows
from server.shows.models import Show, ShowState

BLIND_FOR = dt.timedelta(days=14)
MAX_COMMENT = 1000


async def merchants_of(session: AsyncSession, store_id: int) -> list[int]:
    return list(
        await session.scalars(
            select(User.id).where(User.store_id == store_id, User.role == Role.MERCHANT)
        )
    )


async def counterparts(session: AsyncSession, actor: User, show: Show) -> list[int]:
    """Whom `actor` may review for `show`: the merchant its crew, the crew its merchant.
    Empty for anyone who was not on the show."""
    crew = await hiring.crew_of(session, show.id)
    if actor.role is Role.MERCHANT and actor.store_id == show.store_id:
        return crew
    if actor.id in crew:
        return await merchants_of(session, show.store_id)
    return []


def _stars(raw: object) -> int:
    if isinstance(raw, str) and is_whole(raw.strip()):
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 5:
        raise BadReview(N_("Give 1 to 5 stars."), field="stars")
    return raw


async def write(
    session: AsyncSession,
    outbox: Outbox,
    actor: User,
    show: Show,
    subject_id: int,
    stars: object,
    comment: str,
) -> Review:
    if show.state is not ShowState.ENDED:
        raise BadReview(N_("Reviews open once the show has ended."), field="show_id")
    others = await counterparts(session, actor, show)
    if not others:
        raise ReviewRefused(N_("Only the merchant and the crew of this show can review it."))
    if subject_id not in others:
        raise ReviewRefused(N_("You can only review someone who worked with you on this show."))
    value = _stars(stars)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise BadReview(N_("At most %(n)d characters."), field="comment", n=MAX_COMMENT)
    earlier = await session.scalar(
        select(Review.id).where(
            Review.show_id == show.id,
            Review.author_id == actor.id,
            Review.subject_id == subject_id,
        )
    )
    if earlier is not None:
        raise ReviewConflict(N_("You have already reviewed them for this show."))
    review = Review(
        show_id=show.id, author_id=actor.id, subject_id=subject_id, stars=value, comment=comment
    )
    session.add(review)
    await session.flush()
    outbox.tell(
        [subject_id],
        N_("%(name)s reviewed you for “%(title)s”. Write yours to see it."),
        f"/shows/{show.id}/reviews",
        name=actor.display_name,
        title=show.title,
    )
    return review


def is_visible(review: Review, answered: bool, ended_at: dt.datetime | None) -> bool:
    if review.removed_reason:
        return False
    if answered:
        return True
    return ended_at is not None and utcnow() >= ended_at + BLIND_FOR


@dataclass(frozen=True)
class ShownReview:
    review: Review
    author: User
    show: Show


async def received(session: AsyncSession, user_id: int) -> list[ShownReview]:
    """Reviews of `user_id` that may be shown now, newest first."""
    rows = (
        await session.execute(
            select(Review, User, Show)
            .join(User, User.id == Review.author_id)
            .join(Show, Show.id == Review.show_id)
            .where(Review.subject_id == user_id, Review.removed_reason == "")
            .order_by(Review.created_at.desc())
        )
    ).all()
    found = list(rows)
    answered = await _answered(
        session, [(r.show_id, r.author_id, r.subject_id) for r, _, _ in found]
    )
    return [
        ShownReview(r, author, show)
        for r, author, show in found
        if is_visible(r, (r.show_id, r.author_id, r.subject_id) in answered, show.ended_at)
    ]


async def _answered(
    session: AsyncSession, keys: list[tuple[int, int, int]]
) -> set[tuple[int, int, int]]:
    """Which of these (show, author, subject) reviews have a review the other way."""
    if not keys:
        return set()
    shows_ids = {k[0] for k in keys}
    back = (
        await session.execute(
            select(Review.show_id, Review.author_id, Review.subject_id).where(
                Review.show_id.in_(shows_ids)
            )
        )
    ).all()
    reverse = {(s, subject, author) for s, author, subject in back}
    return {k for k in keys if k in reverse}


def rating(items: list[ShownReview]) -> tuple[float, int]:
    """Average stars (one decimal) and how many reviews it rests on."""
    if not items:
        return 0.0, 0
    return round(sum(i.review.stars for i in items) / len(items), 1), len(items)


async def of_show(session: AsyncSession, actor: User, show: Show) -> dict[str, Any]:
    """For the show's review page: whom the actor may still review, what they wrote,
    and what others wrote about them (once visible)."""
    others = await counterparts(session, actor, show)
    written = {
        r.subject_id: r
        for r in await session.scalars(
            select(Review).where(Review.show_id == show.id, Review.author_id == actor.id)
        )
    }
    people = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(others)))}
    about_me = [r for r in await received(session, actor.id) if r.show.id == show.id]
    return {
        "to_review": [people[i] for i in others if i not in written and i in people],
        "written": [(people.get(i), r) for i, r in written.items()],
        "about_me": about_me,
    }


async def take_down(
    session: AsyncSession, outbox: Outbox, actor: User, review_id: int, reason: str
) -> Review:
    if actor.role is not Role.OPERATOR:
        raise Forbidden(N_("Only operators can take a review down."))
    review = await session.get(Review, review_id)
    if review is None:
        raise NotFound(N_("Review %(id)s does not exist."), id=review_id)
    if not reason.strip():
        raise BadReview(N_("Give a reason; the author will see it."), field="reason")
    review.removed_reason = reason.strip()
    outbox.tell(
        [review.author_id],
        N_("Your review was taken down by an operator: %(reason)s"),
        f"/shows/{review.show_id}/reviews",
        reason=review.removed_reason,
    )
    return review


async def recent(session: AsyncSession, limit: int = 200) -> list[tuple[Review, User, User]]:
    """Every review with its author and subject, newest first, for the operators."""
    reviews = list(
        await session.scalars(select(Review).order_by(Review.created_at.desc()).limit(limit))
    )
    ids = {r.author_id for r in reviews} | {r.subject_id for r in reviews}
    people = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(ids)))}
    return [(r, people[r.author_id], people[r.subject_id]) for r in reviews]


class ReviewPrompter:
    """Subscribed to the live-event bus: when a show with a crew ends, its merchant and
    crew are asked to review each other."""

    def __init__(self, notifier: JobNotifier) -> None:
        self._notifier = notifier

    async def publish(self, show_id: int, event: LiveEvent, payload: dict[str, Any]) -> None:
        if event != LiveEvent.SHOW_STATE or payload.get("state") != ShowState.ENDED.value:
            return
        async with self._notifier.transaction() as (session, outbox):
            show = await shows.get_show(session, show_id)
            crew = await hiring.crew_of(session, show_id)
            if not crew:
                return
            outbox.tell(
                [*crew, *await merchants_of(session, show.store_id)],
                N_("“%(title)s” has ended. Review the people you worked with."),
                f"/shows/{show_id}/reviews",
                title=show.title,
            )
