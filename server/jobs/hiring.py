"""The one place a hire turns into work on a show.

Today a hired creator, camera or writer becomes one of the show's creators (the
`ShowCreator` link the studio and the calendar read) and works for the store from then on
(`CreatorAssignment`). When the crew-roles feature lands, point `put_on_show` at it and
hand it `role`; nothing else in the jobs package needs to change.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import service as accounts
from server.shows import scheduling
from server.shows.models import Show, ShowCreator


async def put_on_show(session: AsyncSession, show: Show, creator_id: int, role: str) -> None:
    """Make `creator_id` part of `show`'s crew in `role`. Refuses (BookingConflict) when
    they already work on another show at that time."""
    del role  # every role is a creator of the show until the crew roles exist
    already = await session.scalar(
        select(ShowCreator.id).where(
            ShowCreator.show_id == show.id, ShowCreator.creator_id == creator_id
        )
    )
    if already is not None:
        return
    await scheduling.check_booking(
        session,
        store_id=-1,  # the store's own shows are not the creator's clash
        creator_ids=[creator_id],
        start=show.scheduled_start,
        duration_minutes=show.duration_minutes,
        exclude_show_id=show.id,
    )
    await accounts.assign_creator(session, creator_id, show.store_id)
    session.add(ShowCreator(show_id=show.id, creator_id=creator_id))
    await session.flush()


async def crew_of(session: AsyncSession, show_id: int) -> list[int]:
    """Who works on a show (the people the merchant may review)."""
    return list(
        await session.scalars(select(ShowCreator.creator_id).where(ShowCreator.show_id == show_id))
    )
