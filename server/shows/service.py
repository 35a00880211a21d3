"""Show queries and changes. Who may do what is decided here, next to the data."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from server.accounts.models import CreatorAssignment, Role, User
from server.db import utcnow
from server.errors import N_, Forbidden
from server.events import EventPublisher, LiveEvent
from server.shows import lifecycle, scheduling
from server.shows.errors import BadShowInput, ShowNotFound
from server.shows.models import MAX_DURATION_MINUTES, Approval, Show, ShowCreator, ShowState
from server.trust import identity

__all__ = ["MAX_DURATION_MINUTES"]


# Ids come from URLs; past a 64-bit integer no row can match (and PostgreSQL would
# refuse to compare).
MAX_ROW_ID = 2**63 - 1


def new_stream_key() -> str:
    return secrets.token_urlsafe(24)


def can_manage(user: User | None, show: Show) -> bool:
    """Operators manage every show; a merchant the shows of their own store."""
    if user is None or not user.is_active:
        return False
    if user.role is Role.OPERATOR:
        return True
    return user.role is Role.MERCHANT and user.store_id == show.store_id


def can_present(user: User | None, show: Show) -> bool:
    """Who may go live, pin products and run the show: its creators, merchant, operators.

    Needs `show.creators` loaded.
    """
    if can_manage(user, show):
        return True
    return (
        user is not None
        and user.is_active
        and user.role is Role.CREATOR
        and any(c.id == user.id for c in show.creators)
    )


def _load() -> tuple[ExecutableOption, ...]:
    return (selectinload(Show.store), selectinload(Show.creators))


async def get_show(session: AsyncSession, show_id: int) -> Show:
    show = await session.scalar(select(Show).where(Show.id == show_id).options(*_load()))
    if show is None:
        raise ShowNotFound(show_id=show_id)
    return show


def _check_fields(title: str, start: dt.datetime, duration: int) -> None:
    if not title.strip() or len(title.strip()) > 120:
        raise BadShowInput(N_("Enter a title of 1 to 120 characters."), field="title")
    if start.tzinfo is None:
        raise BadShowInput(N_("The start time needs a time zone."), field="scheduled_start")
    if not 5 <= duration <= MAX_DURATION_MINUTES:
        raise BadShowInput(
            N_("A show lasts between 5 and %(max)d minutes."),
            field="duration_minutes",
            max=MAX_DURATION_MINUTES,
        )


async def _check_creators(session: AsyncSession, store_id: int, creator_ids: Sequence[int]) -> None:
    if not creator_ids:
        return
    assigned = set(
        await session.scalars(
            select(CreatorAssignment.creator_id).where(
                CreatorAssignment.store_id == store_id,
                CreatorAssignment.creator_id.in_(creator_ids),
            )
        )
    )
    missing = [c for c in creator_ids if c not in assigned]
    if missing:
        raise BadShowInput(
            N_("Only creators assigned to this store can present its shows."), field="creators"
        )


async def create_show(
    session: AsyncSession,
    actor: User,
    *,
    store_id: int,
    title: str,
    scheduled_start: dt.datetime,
    duration_minutes: int = 60,
    description: str = "",
    creator_ids: Sequence[int] = (),
    cover_path: str | None = None,
    allow_past: bool = False,
) -> Show:
    probe = Show(store_id=store_id)
    if not can_manage(actor, probe):
        raise Forbidden(N_("You can only plan shows for your own store."))
    _check_fields(title, scheduled_start, duration_minutes)
    if not allow_past and scheduled_start < utcnow() - dt.timedelta(minutes=5):
        raise BadShowInput(N_("The start time is in the past."), field="scheduled_start")
    await _check_creators(session, store_id, creator_ids)
    await scheduling.check_booking(
        session,
        store_id=store_id,
        creator_ids=creator_ids,
        start=scheduled_start,
        duration_minutes=duration_minutes,
    )
    # A merchant's plan is a request for a slot; an operator's is booked at once.
    approval = Approval.APPROVED if actor.role is Role.OPERATOR else Approval.REQUESTED
    show = Show(
        store_id=store_id,
        title=title.strip(),
        description=description.strip(),
        scheduled_start=scheduled_start,
        duration_minutes=duration_minutes,
        stream_key=new_stream_key(),
        cover_path=cover_path,
        approval=approval,
    )
    session.add(show)
    await session.flush()
    for creator_id in dict.fromkeys(creator_ids):
        session.add(ShowCreator(show_id=show.id, creator_id=creator_id))
    await session.flush()
    show = await get_show_fresh(session, show.id)
    if approval is Approval.REQUESTED:
        await scheduling.announce_request(session, show)
    return show


async def get_show_fresh(session: AsyncSession, show_id: int) -> Show:
    """Reload a show and its relationships after they changed in this session."""
    show = await session.scalar(
        select(Show)
        .where(Show.id == show_id)
        .options(*_load())
        .execution_options(populate_existing=True)
    )
    if show is None:
        raise ShowNotFound(show_id=show_id)
    return show


async def update_show(
    session: AsyncSession,
    actor: User,
    show: Show,
    *,
    title: str,
    scheduled_start: dt.datetime,
    duration_minutes: int,
    description: str,
    creator_ids: Sequence[int],
    cover_path: str | None = None,
) -> Show:
    if not can_manage(actor, show):
        raise Forbidden(N_("You can only change shows of your own store."))
    if show.state is not ShowState.SCHEDULED:
        raise BadShowInput(
            N_("Only a scheduled show can be changed; this one is %(state)s."),
            state=show.state.value,
        )
    _check_fields(title, scheduled_start, duration_minutes)
    await _check_creators(session, show.store_id, creator_ids)
    await scheduling.check_booking(
        session,
        store_id=show.store_id,
        creator_ids=creator_ids,
        start=scheduled_start,
        duration_minutes=duration_minutes,
        exclude_show_id=show.id,
    )
    show.title = title.strip()
    show.description = description.strip()
    show.scheduled_start = scheduled_start
    show.duration_minutes = duration_minutes
    if cover_path is not None:
        show.cover_path = cover_path
    current = {c.id for c in show.creators}
    wanted = set(creator_ids)
    for link in await session.scalars(select(ShowCreator).where(ShowCreator.show_id == show.id)):
        if link.creator_id not in wanted:
            await session.delete(link)
    for creator_id in wanted - current:
        session.add(ShowCreator(show_id=show.id, creator_id=creator_id))
    await session.flush()
    return await get_show_fresh(session, show.id)


async def transition(
    session: AsyncSession, actor: User | None, show: Show, action: str, reason: str = ""
) -> Show:
    """Start, end or cancel a show. Going live and ending are the presenters' to do;
    cancelling is for whoever manages the show."""
    allowed = can_manage(actor, show) if action == "cancel" else can_present(actor, show)
    if not allowed:
        raise Forbidden(N_("You are not allowed to change this show."))
    if action == "cancel" and not reason.strip():
        raise BadShowInput(
            N_("Give a reason; the merchant and creators will see it."), field="reason"
        )
    _check_approved_to_start(show, action)
    lifecycle.apply(show, action, utcnow(), reason.strip())
    if action == "cancel":
        await scheduling.announce_cancellation(session, show)
    await session.flush()
    return show


def _check_approved_to_start(show: Show, action: str) -> None:
    if action == "start" and not show.is_public:
        raise BadShowInput(N_("An operator has to approve this show before it goes live."))
    if action == "start":
        # The law: whoever sells to the public shows who they are (전자상거래법 제13조).
        identity.check_may_go_public(show)


async def announce_state(publisher: EventPublisher, show: Show) -> None:
    """Tell everyone who follows the show (its viewers, the journal, its stream) where it
    stands now; called after the transaction that moved it committed."""
    await publisher.publish(show.id, LiveEvent.SHOW_STATE, {"state": show.state.value})


async def system_transition(session: AsyncSession, show_id: int, action: str) -> Show:
    """A move the server makes itself (a publisher went live, a grace period ran out)."""
    show = await get_show(session, show_id)
    _check_approved_to_start(show, action)
    lifecycle.apply(show, action, utcnow())
    await session.flush()
    return show


async def regenerate_stream_key(session: AsyncSession, actor: User, show: Show) -> str:
    if not can_present(actor, show):
        raise Forbidden(N_("You are not allowed to change this show."))
    show.stream_key = new_stream_key()
    await session.flush()
    return show.stream_key


async def shows_in_state(
    session: AsyncSession, state: ShowState, *, limit: int = 20, newest_first: bool = False
) -> list[Show]:
    """Public shows in `state` (slot requests and declined shows are left out)."""
    order = Show.scheduled_start.desc() if newest_first else Show.scheduled_start
    rows = await session.scalars(
        select(Show)
        .where(Show.state == state, Show.approval == Approval.APPROVED)
        .order_by(order)
        .limit(limit)
        .options(*_load())
    )
    return list(rows)


async def shows_of_store(session: AsyncSession, store_id: int) -> list[Show]:
    rows = await session.scalars(
        select(Show)
        .where(Show.store_id == store_id)
        .order_by(Show.scheduled_start.desc())
        .options(*_load())
    )
    return list(rows)


async def shows_of_creator(session: AsyncSession, creator_id: int) -> list[Show]:
    rows = await session.scalars(
        select(Show)
        .join(ShowCreator, ShowCreator.show_id == Show.id)
        .where(ShowCreator.creator_id == creator_id)
        .order_by(Show.scheduled_start.desc())
        .options(*_load())
    )
    return list(rows)


async def all_shows(
    session: AsyncSession, limit: int = 200, *, public_only: bool = False
) -> list[Show]:
    query = select(Show).order_by(Show.scheduled_start.desc()).limit(limit).options(*_load())
    if public_only:
        query = query.where(Show.approval == Approval.APPROVED)
    return list(await session.scalars(query))


def may_view(viewer: User | None, show: Show) -> bool:
    """THE visibility rule, used by every page, API route and socket event about a show:
    public (approved) shows are for everyone; slot requests, declined shows and
    cancelled requests only for their staff (its store's merchant, its creators,
    operators). Those who may not view a show are told it does not exist.

    Needs `show.creators` loaded when the show is not public."""
    return show.is_public or can_present(viewer, show)


async def get_visible_show(session: AsyncSession, viewer: User | None, show_id: int) -> Show:
    """The show, if `viewer` may see it; otherwise the same answer as for no show."""
    if not 0 < show_id <= MAX_ROW_ID:
        raise ShowNotFound(show_id=show_id)
    show = await get_show(session, show_id)
    if not may_view(viewer, show):
        raise ShowNotFound(show_id=show_id)
    return show


async def check_visible(session: AsyncSession, viewer: User | None, show_id: int) -> None:
    """`get_visible_show` in one round trip, for callers that only need the answer
    (the store is not loaded)."""
    if not 0 < show_id <= MAX_ROW_ID:
        raise ShowNotFound(show_id=show_id)
    query = select(Show).where(Show.id == show_id).options(joinedload(Show.creators))
    show = (await session.scalars(query)).unique().one_or_none()
    if show is None or not may_view(viewer, show):
        raise ShowNotFound(show_id=show_id)
