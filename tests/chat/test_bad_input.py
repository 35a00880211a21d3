"""Bad input: each attempt gets a `chat_error` with a reason in the sender's language;
nothing is broadcast, nothing stored, and everyone else keeps chatting."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from chat.models import ChatMessage
from server import keys
from server.accounts.models import Role
from server.events import ChatCommand, ChatEvent
from tests.chat.conftest import ChatClient, Connect
from tests.helpers import make_merchant, make_show, make_user


async def _room(app: web.Application, connect: Connect) -> tuple[int, int, ChatClient]:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    other = await make_show(app, store, title="다른 방송")
    observer = await connect()
    await observer.join(show.id)
    return show.id, other.id, observer


async def _nothing_leaked(
    app: web.Application, connect: Connect, show_id: int, observer: ChatClient
) -> None:
    """A good message still goes through, and it is the only one anyone saw or stored."""
    good = await connect(await make_user(app))
    await good.join(show_id)
    await good.emit(ChatCommand.SEND_MESSAGE, {"show_id": show_id, "text": "정상 메시지"})
    await observer.wait_text("정상 메시지")
    assert observer.texts() == ["정상 메시지"]
    await app[keys.chat_hub].wait_stored()
    async with app[keys.sessionmaker]() as session:
        assert [m.body for m in await session.scalars(select(ChatMessage))] == ["정상 메시지"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("그냥 문자열", "bad_payload"),
        (None, "bad_payload"),
        ({"show_id": "1", "text": "hi"}, "bad_payload"),
        ({"text": 42}, "bad_payload"),
        ({"text": ["a", "b"]}, "bad_payload"),
        ({"text": {"nested": "object"}}, "bad_payload"),
        ({"text": "hi", "question": "yes"}, "bad_payload"),
        ({"text": "hi", "author": "운영자"}, "bad_payload"),  # a spoofed author
        ({"text": "hi", "user_id": 1}, "bad_payload"),
        ({"text": "x" * 201}, "too_long"),
        ({"text": "x" * 5000}, "bad_payload"),
        ({"text": ""}, "empty"),
        ({"text": " \t\n\u3000 "}, "empty"),
    ],
)
async def test_malformed_messages_are_refused(
    app: web.Application, connect: Connect, payload: Any, code: str
) -> None:
    show_id, _, observer = await _room(app, connect)
    sender = await connect(await make_user(app), locale="en")
    await sender.join(show_id)
    if isinstance(payload, dict) and "show_id" not in payload:
        payload = {"show_id": show_id, **payload}
    await sender.emit(ChatCommand.SEND_MESSAGE, payload)
    error = await sender.error()
    assert error["code"] == code
    assert error["event"] == ChatCommand.SEND_MESSAGE
    assert error["message"]
    await _nothing_leaked(app, connect, show_id, observer)


async def test_posting_without_joining(app: web.Application, connect: Connect) -> None:
    show_id, _, observer = await _room(app, connect)
    sender = await connect(await make_user(app))
    await sender.emit(ChatCommand.SEND_MESSAGE, {"show_id": show_id, "text": "몰래"})
    assert (await sender.error())["code"] == "not_joined"
    await _nothing_leaked(app, connect, show_id, observer)


async def test_posting_to_another_shows_room(app: web.Application, connect: Connect) -> None:
    show_id, other_id, observer = await _room(app, connect)
    sender = await connect(await make_user(app))
    await sender.join(other_id)
    await sender.emit(ChatCommand.SEND_MESSAGE, {"show_id": show_id, "text": "건너편"})
    assert (await sender.error())["code"] == "wrong_room"
    await _nothing_leaked(app, connect, show_id, observer)


async def test_anonymous_viewers_cannot_post(app: web.Application, connect: Connect) -> None:
    show_id, _, observer = await _room(app, connect)
    anonymous = await connect(locale="ko")
    await anonymous.join(show_id)
    await anonymous.emit(ChatCommand.SEND_MESSAGE, {"show_id": show_id, "text": "익명"})
    error = await anonymous.error()
    assert error == {
        "code": "sign_in",
        "message": "채팅하려면 로그인하세요.",
        "event": ChatCommand.SEND_MESSAGE,
    }
    await _nothing_leaked(app, connect, show_id, observer)


@pytest.mark.parametrize(
    "event",
    [
        "no_such_event",
        "connect",
        "disconnect",
        "__init__",
        "__unknown__",
        "on_join",
        "refuse",
        "트윗",
    ],
)
async def test_unknown_events(app: web.Application, connect: Connect, event: str) -> None:
    show_id, _, observer = await _room(app, connect)
    sender = await connect(await make_user(app), locale="en")
    await sender.join(show_id)
    await sender.emit(event, {"show_id": show_id, "text": "hi"})
    error = await sender.error()
    assert error["code"] == "unknown_event"
    assert error["message"] == f"Unknown chat event: {event}."
    await _nothing_leaked(app, connect, show_id, observer)


async def test_joining_a_show_that_does_not_exist(app: web.Application, connect: Connect) -> None:
    viewer = await connect(locale="en")
    await viewer.emit(ChatCommand.JOIN, {"show_id": 999_999})
    assert await viewer.error() == {
        "code": "no_show",
        "message": "There is no such show.",
        "event": ChatCommand.JOIN,
    }


@pytest.mark.parametrize(
    ("event", "extra"),
    [
        (ChatCommand.DELETE_MESSAGE, {"message_id": "k1"}),
        (ChatCommand.TIMEOUT_USER, {"user_id": 1, "minutes": 5}),
        (ChatCommand.BAN_USER, {"user_id": 1}),
        (ChatCommand.BAN_USER, {"user_id": 1, "platform": True}),
        (ChatCommand.SET_SLOW_MODE, {"seconds": 30}),
        (ChatCommand.SET_FROZEN, {"frozen": True}),
        (ChatCommand.SET_NOTICE, {"text": "가짜 공지"}),
        (ChatCommand.ADD_BANNED_WORD, {"word": "배추"}),
        (ChatCommand.APPOINT_MODERATOR, {"user_id": 1}),
        (ChatCommand.MARK_ANSWERED, {"message_id": "k1"}),
        (ChatCommand.OPEN_QUESTIONS, {}),
    ],
)
async def test_moderation_from_a_shopper_is_refused(
    app: web.Application, connect: Connect, event: str, extra: dict[str, Any]
) -> None:
    show_id, _, observer = await _room(app, connect)
    shopper = await connect(await make_user(app, Role.SHOPPER))
    await shopper.join(show_id)
    await shopper.emit(event, {"show_id": show_id, **extra})
    assert (await shopper.error())["code"] == "not_moderator"
    assert not observer.events(ChatEvent.ROOM_STATE) and not observer.events(
        ChatEvent.MESSAGE_DELETED
    )
    await _nothing_leaked(app, connect, show_id, observer)


async def test_creator_of_another_store_cannot_moderate(
    app: web.Application, connect: Connect
) -> None:
    show_id, _, _observer = await _room(app, connect)
    _, other_store = await make_merchant(app, "다른 가게")
    outsider = await make_user(app, Role.CREATOR)
    await make_show(app, other_store, [outsider])
    client = await connect(outsider)
    await client.join(show_id)
    await client.emit(ChatCommand.SET_FROZEN, {"show_id": show_id, "frozen": True})
    assert (await client.error())["code"] == "not_moderator"


async def test_html_and_script_arrive_as_the_same_inert_text(
    app: web.Application, connect: Connect
) -> None:
    show_id, _, observer = await _room(app, connect)
    sender = await connect(await make_user(app))
    await sender.join(show_id)
    nasty = '<img src=x onerror="alert(1)"><script>alert(2)</script>&amp;'
    await sender.emit(ChatCommand.SEND_MESSAGE, {"show_id": show_id, "text": nasty})
    seen = await observer.wait_text(nasty)
    # Stored and sent as plain text, exactly as typed; pages render it with textContent.
    assert seen["text"] == nasty
    await app[keys.chat_hub].wait_stored()
    async with app[keys.sessionmaker]() as session:
        assert (await session.scalars(select(ChatMessage.body))).one() == nasty


async def test_a_frame_beyond_the_size_limit_drops_only_that_socket(
    app: web.Application, connect: Connect
) -> None:
    show_id, _, observer = await _room(app, connect)
    sender = await connect(await make_user(app))
    await sender.join(show_id)
    await sender.emit(ChatCommand.SEND_MESSAGE, {"show_id": show_id, "text": "x" * 100_000})
    await _nothing_leaked(app, connect, show_id, observer)


async def test_a_page_of_another_site_cannot_connect(
    app: web.Application, aiohttp_client: AiohttpClient
) -> None:
    """Same origin only: a browser on another site is refused at the handshake."""
    http = await aiohttp_client(app)
    url = "/socket.io/?EIO=4&transport=polling"
    foreign = await http.get(url, headers={"Origin": "https://evil.example"})
    assert foreign.status == 400
    own = await http.get(url, headers={"Origin": str(http.make_url("")).rstrip("/")})
    assert own.status == 200
    public = await http.get(url, headers={"Origin": "http://127.0.0.1:8080"})
    assert public.status == 200  # the configured PUBLIC_URL (tests/conftest.py)
