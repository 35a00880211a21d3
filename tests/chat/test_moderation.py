"""Moderation: who may act, what each action does for the room, and the audit log."""

from __future__ import annotations

from aiohttp import web
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from chat.models import ChatMessage, ModerationAction
from server import keys
from server.accounts.models import Role
from server.events import ChatCommand, ChatEvent
from tests.chat.conftest import Connect
from tests.helpers import AppClient, ServerClient, login_as, make_merchant, make_show, make_user


async def _audit(app: web.Application) -> list[tuple[str, int | None]]:
    async with app[keys.sessionmaker]() as session:
        rows = await session.scalars(select(ModerationAction).order_by(ModerationAction.id))
        return [(r.action, r.actor_id) for r in rows]


async def test_deleted_message_is_gone_for_everyone(app: web.Application, connect: Connect) -> None:
    merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    troll = await make_user(app)
    host, bad, viewer = await connect(merchant), await connect(troll), await connect()
    for client in (host, bad, viewer):
        await client.join(show.id)
    await bad.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "스팸 스팸"})
    spam = await viewer.wait_text("스팸 스팸")

    await host.emit(ChatCommand.DELETE_MESSAGE, {"show_id": show.id, "message_id": spam["id"]})

    assert await viewer.wait_for(ChatEvent.MESSAGE_DELETED) == {"id": spam["id"]}
    joined = await (await connect()).join(show.id)
    assert joined["messages"] == []
    assert await _audit(app) == [("delete_message", merchant.id)]


async def test_timed_out_user_cannot_post_even_after_reconnecting(
    app: web.Application, connect: Connect
) -> None:
    creator = await make_user(app, Role.CREATOR)
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store, [creator])
    loud = await make_user(app)
    host, first = await connect(creator), await connect(loud)
    await host.join(show.id)
    await first.join(show.id)

    await host.emit(
        ChatCommand.TIMEOUT_USER, {"show_id": show.id, "user_id": loud.id, "minutes": 5}
    )
    told = await first.wait_for(ChatEvent.ERROR)
    assert told["code"] == "timed_out" and "5분" in told["message"]  # in their language
    await first.close()

    again = await connect(loud, locale="en")
    await again.join(show.id)
    assert (await again.error())["code"] == "timed_out"  # told at once on joining
    start = len(again.received)
    await again.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "다시 왔지롱"})
    refused = await again.error(after=start)
    assert refused["code"] == "timed_out"
    assert refused["message"] == "You are timed out of this chat for 5 more minute(s)."
    await app[keys.chat_hub].wait_stored()
    async with app[keys.sessionmaker]() as session:
        assert (await session.scalars(select(ChatMessage))).all() == []
    assert await _audit(app) == [("timeout", creator.id)]


async def test_store_ban_and_platform_ban(app: web.Application, connect: Connect) -> None:
    operator = await make_user(app, Role.OPERATOR)
    merchant, store = await make_merchant(app)
    _other_merchant, other_store = await make_merchant(app, "성수 공방")
    show = await make_show(app, store)
    other_show = await make_show(app, other_store)
    troll = await make_user(app)
    host = await connect(merchant)
    await host.join(show.id)

    await host.emit(ChatCommand.BAN_USER, {"show_id": show.id, "user_id": troll.id})
    await host.wait_for(ChatEvent.DONE, lambda d: d["event"] == ChatCommand.BAN_USER)
    bad = await connect(troll)
    await bad.join(show.id)
    assert (await bad.error())["code"] == "banned"
    # The store ban stops them on this store's shows only.
    await bad.join(other_show.id)
    start = len(bad.received)
    await bad.emit(ChatCommand.SEND_MESSAGE, {"show_id": other_show.id, "text": "여기선 돼요"})
    assert await bad.wait_text("여기선 돼요")

    # A merchant may not ban platform-wide; an operator may.
    start = len(host.received)
    await host.emit(
        ChatCommand.BAN_USER, {"show_id": show.id, "user_id": troll.id, "platform": True}
    )
    assert (await host.error(after=start))["code"] == "operators_only"
    ops = await connect(operator)
    await ops.join(other_show.id)
    await ops.emit(
        ChatCommand.BAN_USER, {"show_id": other_show.id, "user_id": troll.id, "platform": True}
    )
    await ops.wait_for(ChatEvent.DONE)
    start = len(bad.received)
    await bad.emit(ChatCommand.SEND_MESSAGE, {"show_id": other_show.id, "text": "이제는?"})
    assert (await bad.error(after=start))["code"] == "banned"
    assert "이제는?" not in bad.texts()
    assert await _audit(app) == [("ban_store", merchant.id), ("ban_platform", operator.id)]


async def test_slow_mode_freeze_and_notice(app: web.Application, connect: Connect) -> None:
    merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    shopper = await make_user(app)
    host, fan = await connect(merchant), await connect(shopper)
    await host.join(show.id)
    await fan.join(show.id)

    await host.emit(ChatCommand.SET_SLOW_MODE, {"show_id": show.id, "seconds": 60})
    assert (await fan.wait_for(ChatEvent.ROOM_STATE))["slow_mode"] == 60
    await fan.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "하나"})
    await fan.wait_text("하나")
    start = len(fan.received)
    await fan.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "둘"})
    assert (await fan.error(after=start))["code"] == "slow_mode"
    # Staff are not slowed down.
    await host.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "공지 1"})
    await host.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "공지 2"})
    await fan.wait_text("공지 2")

    await host.emit(ChatCommand.SET_SLOW_MODE, {"show_id": show.id, "seconds": 0})
    await host.emit(ChatCommand.SET_FROZEN, {"show_id": show.id, "frozen": True})
    await fan.wait_for(ChatEvent.ROOM_STATE, lambda r: r["frozen"])
    start = len(fan.received)
    await fan.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "얼음"})
    assert (await fan.error(after=start))["code"] == "frozen"
    assert "둘" not in fan.texts() and "얼음" not in fan.texts()
    actions = [a for a, _ in await _audit(app)]
    assert actions == ["slow_mode", "slow_mode", "freeze"]


async def test_banned_words_match_across_case_width_and_spacing(
    app: web.Application, connect: Connect
) -> None:
    operator = await make_user(app, Role.OPERATOR)
    merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    host, ops = await connect(merchant), await connect(operator)
    await host.join(show.id)
    await ops.join(show.id)
    await host.emit(ChatCommand.ADD_BANNED_WORD, {"show_id": show.id, "word": "바보"})
    await ops.emit(
        ChatCommand.ADD_BANNED_WORD, {"show_id": show.id, "word": "Scam", "platform": True}
    )
    await host.wait_for(ChatEvent.DONE)
    await ops.wait_for(ChatEvent.DONE)

    for attempt in ("바 보 같은", "ＳＣＡＭ 아님", "s c a m", "SCAM!!"):
        fan = await connect(await make_user(app))
        await fan.join(show.id)
        await fan.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": attempt})
        assert (await fan.error())["code"] == "banned_word", attempt
    await fan.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "scarf 있어요?"})
    await fan.wait_text("scarf 있어요?")
    assert fan.texts() == ["scarf 있어요?"]
    assert host.texts() == ["scarf 있어요?"]


async def test_links_only_from_staff(app: web.Application, connect: Connect) -> None:
    merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    shopper = await make_user(app)
    host, fan = await connect(merchant), await connect(shopper)
    await host.join(show.id)
    await fan.join(show.id)
    await fan.emit(
        ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "싸게 파는 곳 https://evil.example"}
    )
    assert (await fan.error())["code"] == "links"
    await host.emit(
        ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "스토어: https://jangteo.kr/s/1"}
    )
    await fan.wait_text("스토어: https://jangteo.kr/s/1")


async def test_appointed_moderator_moderates_that_stores_shows(
    app: web.Application, connect: Connect
) -> None:
    merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    helper = await make_user(app)
    troll = await make_user(app)
    host = await connect(merchant)
    await host.join(show.id)
    await host.emit(ChatCommand.APPOINT_MODERATOR, {"show_id": show.id, "user_id": helper.id})
    await host.wait_for(ChatEvent.DONE)

    mod = await connect(helper)
    joined = await mod.join(show.id)
    assert joined["me"]["can_moderate"] and joined["me"]["badge"] == "moderator"
    await mod.emit(
        ChatCommand.TIMEOUT_USER, {"show_id": show.id, "user_id": troll.id, "minutes": 1}
    )
    await mod.wait_for(ChatEvent.DONE)
    # A moderator cannot appoint more moderators, nor act on staff.
    start = len(mod.received)
    await mod.emit(ChatCommand.APPOINT_MODERATOR, {"show_id": show.id, "user_id": troll.id})
    assert (await mod.error(after=start))["code"] == "not_moderator"
    start = len(mod.received)
    await mod.emit(ChatCommand.BAN_USER, {"show_id": show.id, "user_id": merchant.id})
    assert (await mod.error(after=start))["code"] == "staff"
    assert await _audit(app) == [
        ("appoint_moderator", merchant.id),
        ("timeout", helper.id),
    ]


async def test_flood_control_mutes_after_three_quick_messages(
    app: web.Application, connect: Connect
) -> None:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    shopper = await make_user(app)
    fan = await connect(shopper, locale="ko")
    await fan.join(show.id)
    for n in range(5):
        await fan.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": f"도배 {n}"})
    refused = await fan.error()
    assert refused["code"] == "too_fast"
    assert "너무 빨리" in refused["message"]
    await fan.wait_text("도배 2")
    assert sorted(fan.texts()) == ["도배 0", "도배 1", "도배 2"]


async def test_staff_read_the_moderation_log_and_shoppers_cannot(
    app: web.Application, connect: Connect, served: AppClient, aiohttp_client: AiohttpClient
) -> None:
    merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    troll = await make_user(app)
    host = await connect(merchant)
    await host.join(show.id)
    await host.emit(
        ChatCommand.TIMEOUT_USER, {"show_id": show.id, "user_id": troll.id, "minutes": 3}
    )
    await host.wait_for(ChatEvent.DONE)

    http: ServerClient = await aiohttp_client(served.server)
    await login_as(http, merchant)
    resp = await http.get(f"/api/shows/{show.id}/chat/moderation-log")
    assert resp.status == 200
    [entry] = await resp.json()
    assert entry["action"] == "timeout" and entry["actor_id"] == merchant.id
    assert entry["target_user_id"] == troll.id and entry["detail"] == "3 min"

    shopper_http: ServerClient = await aiohttp_client(served.server)
    await login_as(shopper_http, troll)
    denied = await shopper_http.get(f"/api/shows/{show.id}/chat/moderation-log")
    assert denied.status == 403
    assert (await denied.json())["error"]["code"] == "not_moderator"
