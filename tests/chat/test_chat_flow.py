"""The core chat journeys: join, post, read, hearts, viewer counts, Q&A."""

from __future__ import annotations

import datetime as dt

from aiohttp import web
from sqlalchemy import select

from chat.models import ChatMessage
from server import keys
from server.accounts.models import Role
from server.db import utcnow
from server.events import ChatCommand, ChatEvent, LiveEvent
from server.shows.models import Show
from tests.chat.conftest import Connect
from tests.helpers import make_merchant, make_show, make_user


async def test_a_message_reaches_everyone_in_the_room_and_is_stored(
    app: web.Application, connect: Connect
) -> None:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    async with app[keys.sessionmaker].begin() as session:
        row = await session.get(Show, show.id)
        assert row is not None
        row.started_at = utcnow() - dt.timedelta(minutes=3)
    shopper = await make_user(app, Role.SHOPPER, name="지민")
    alice = await connect(shopper)
    viewer = await connect()  # anonymous viewers read along
    await alice.join(show.id)
    await viewer.join(show.id)

    await alice.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "배추 몇 포기예요?"})
    seen = await viewer.wait_text("배추 몇 포기예요?")

    assert seen["author"] == "지민"
    assert seen["badge"] == "shopper"
    assert await alice.wait_text("배추 몇 포기예요?")
    await app[keys.chat_hub].wait_stored()
    async with app[keys.sessionmaker]() as session:
        stored = (await session.scalars(select(ChatMessage))).one()
    assert stored.user_id == shopper.id and stored.body == "배추 몇 포기예요?"
    assert stored.offset_ms is not None and stored.offset_ms >= 3 * 60 * 1000


async def test_join_brings_history_notice_viewers_and_hearts(
    app: web.Application, connect: Connect
) -> None:
    merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    host = await connect(merchant)
    await host.join(show.id)
    await host.emit(ChatCommand.SET_NOTICE, {"show_id": show.id, "text": "오늘 무료배송!"})
    await host.wait_for(ChatEvent.ROOM_STATE)
    for n in range(3):
        await host.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": f"안내 {n}"})
    await host.wait_text("안내 2")
    await host.emit(ChatCommand.HEART, {"show_id": show.id})
    await host.wait_for(ChatEvent.HEARTS)

    late = await connect()
    joined = await late.join(show.id)

    assert [m["text"] for m in joined["messages"]] == ["안내 0", "안내 1", "안내 2"]
    assert joined["messages"][0]["badge"] == "merchant"
    assert joined["notice"] == "오늘 무료배송!"
    assert joined["viewers"] == 2
    assert joined["hearts"] == 1
    assert joined["me"] == {
        "signed_in": False,
        "can_moderate": False,
        "user_id": None,
        "badge": "",
        "is_operator": False,
    }


async def test_history_is_the_last_fifty(app: web.Application, connect: Connect) -> None:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    shopper = await make_user(app)
    async with app[keys.sessionmaker].begin() as session:
        for n in range(60):
            session.add(
                ChatMessage(
                    key=f"k{n}",
                    show_id=show.id,
                    user_id=shopper.id,
                    author_name="a",
                    badge="shopper",
                    body=f"m{n}",
                )
            )
    joined = await (await connect()).join(show.id)
    assert [m["text"] for m in joined["messages"]] == [f"m{n}" for n in range(10, 60)]


async def test_hearts_are_batched_into_a_few_broadcasts(
    app: web.Application, connect: Connect
) -> None:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    fan = await connect()
    await fan.join(show.id)
    for _ in range(200):
        await fan.emit(ChatCommand.HEART, {"show_id": show.id})
    await fan.wait_for(ChatEvent.HEARTS, lambda h: h["total"] == 200)

    broadcasts = fan.events(ChatEvent.HEARTS)
    assert sum(h["added"] for h in broadcasts) == 200
    # 200 hearts in, a handful of broadcasts out (4 per second at most).
    assert len(broadcasts) < 20


async def test_viewer_count_follows_joins_and_leaves(
    app: web.Application, connect: Connect
) -> None:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    first = await connect()
    await first.join(show.id)
    others = [await connect() for _ in range(3)]
    for other in others:
        await other.join(show.id)
    await first.wait_for(ChatEvent.VIEWERS, lambda v: v["count"] == 4)
    for other in others[:2]:
        await other.close()
    await first.wait_for(ChatEvent.VIEWERS, lambda v: v["count"] == 2)


async def test_questions_are_answered_and_highlighted_for_everyone(
    app: web.Application, connect: Connect
) -> None:
    creator = await make_user(app, Role.CREATOR)
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store, [creator])
    shopper = await make_user(app)
    asker = await connect(shopper)
    studio = await connect(creator)
    await asker.join(show.id)
    await studio.join(show.id)

    await asker.emit(
        ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "배송 언제 돼요?", "question": True}
    )
    question = await asker.wait_text("배송 언제 돼요?")
    assert question["question"] and not question["answered"]
    await studio.emit(ChatCommand.OPEN_QUESTIONS, {"show_id": show.id})
    listed = await studio.wait_for(ChatEvent.QUESTIONS)
    assert [q["id"] for q in listed["questions"]] == [question["id"]]

    await studio.emit(ChatCommand.MARK_ANSWERED, {"show_id": show.id, "message_id": question["id"]})
    answered = await asker.wait_for(ChatEvent.QUESTION_ANSWERED)
    assert answered == {"id": question["id"]}
    start = len(studio.received)
    await studio.emit(ChatCommand.OPEN_QUESTIONS, {"show_id": show.id})
    assert (await studio.wait_for(ChatEvent.QUESTIONS, after=start))["questions"] == []
    joined = await (await connect()).join(show.id)
    assert joined["messages"][0]["answered"] is True


async def test_publisher_events_reach_the_room(app: web.Application, connect: Connect) -> None:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    viewer = await connect()
    await viewer.join(show.id)
    await app[keys.live_events].publish(show.id, LiveEvent.PRODUCT_PINNED, {"product_id": 7})
    assert await viewer.wait_for(LiveEvent.PRODUCT_PINNED) == {"product_id": 7}


async def test_hearts_and_counts_arrive_while_messages_flow(
    app: web.Application, connect: Connect
) -> None:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    talkers = [await connect(await make_user(app)) for _ in range(3)]
    viewer = await connect()
    await viewer.join(show.id)
    for talker in talkers:
        await talker.join(show.id)
    for round_ in range(3):
        for n, talker in enumerate(talkers):
            await talker.emit(ChatCommand.HEART, {"show_id": show.id})
            await talker.emit(
                ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": f"{round_}-{n}"}
            )
    # Updates that rode along in a message frame count the same as separate ones.
    await viewer.wait_for(ChatEvent.HEARTS, lambda h: h["total"] == 9)
    await viewer.wait_for(ChatEvent.VIEWERS, lambda v: v["count"] == 4)
    await viewer.wait_text("2-2")
    assert sum(h["added"] for h in viewer.events(ChatEvent.HEARTS)) == 9
    assert len(viewer.texts()) == 9
