"""Viewers who open a show's page are counted for its numbers: one visit per join, ended
when they leave, the same account counted once however often it reconnects."""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import select

from server import keys
from server.analytics.models import ViewerVisit
from server.events import ChatCommand, ChatEvent
from tests.chat.conftest import Connect
from tests.helpers import make_merchant, make_show, make_user


async def _visits(app: web.Application) -> list[ViewerVisit]:
    async with app[keys.sessionmaker]() as session:
        return list(await session.scalars(select(ViewerVisit).order_by(ViewerVisit.id)))


async def test_joins_and_leaves_are_recorded_as_visits(
    app: web.Application, connect: Connect
) -> None:
    _, store = await make_merchant(app)
    show = await make_show(app, store)
    shopper = await make_user(app)
    first = await connect(shopper)
    await first.join(show.id)
    anonymous = await connect()
    await anonymous.join(show.id)
    await first.close()
    again = await connect(shopper)
    await again.join(show.id)
    for _ in range(100):
        visits = await _visits(app)
        if len(visits) == 3 and any(v.left_at for v in visits):
            break
        await asyncio.sleep(0.05)
    assert [v.viewer_key for v in visits].count(f"u{shopper.id}") == 2
    assert len({v.viewer_key for v in visits}) == 2  # two people
    assert visits[0].left_at is not None and visits[1].left_at is None


async def test_staff_at_work_are_not_counted_as_viewers(
    app: web.Application, connect: Connect
) -> None:
    merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    studio = await connect(merchant)
    await studio.emit(ChatCommand.JOIN, {"show_id": show.id, "watching": False})
    joined = await studio.wait_for(ChatEvent.JOINED)
    assert joined["viewers"] == 0 and joined["me"]["can_moderate"]
    sly = await connect(await make_user(app))
    await sly.emit(ChatCommand.JOIN, {"show_id": show.id, "watching": False})  # not staff: counted
    assert (await sly.wait_for(ChatEvent.JOINED))["viewers"] == 1
    fan = await connect()
    assert (await fan.join(show.id))["viewers"] == 2
    assert len(await _visits(app)) == 2
