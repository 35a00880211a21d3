"""The adaptive window: a quiet room's message goes out at once; in a busy room the
messages that come while a frame has just gone out wait and share the next one."""

from __future__ import annotations

import dataclasses

import pytest
from aiohttp import web

from server import keys
from server.accounts.models import Role
from server.events import ChatCommand, ChatEvent
from server.settings import Settings
from tests.chat.conftest import WAIT, Connect
from tests.helpers import make_merchant, make_show, make_user

# Far longer than a test waits for a frame (WAIT): a message that waited a whole window
# would never be seen, one that did not wait is seen at once.
LONG_WINDOW_MS = int(WAIT * 1000 * 3)
# Long enough that the messages sent one after the other fall into one window.
SHORT_WINDOW_MS = 2000


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    window: int = getattr(request, "param", LONG_WINDOW_MS)
    return dataclasses.replace(settings, chat_batch_ms=window)


async def test_a_message_in_a_quiet_room_does_not_wait_for_a_window(
    app: web.Application, connect: Connect
) -> None:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    sender = await connect(await make_user(app, Role.SHOPPER, name="지민"))
    viewer = await connect()
    await sender.join(show.id)
    await viewer.join(show.id)

    await sender.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "바로 보여요"})

    assert (await viewer.wait_text("바로 보여요"))["author"] == "지민"


@pytest.mark.parametrize("settings", [SHORT_WINDOW_MS], indirect=True)
async def test_messages_right_after_a_frame_share_the_next_one(
    app: web.Application, connect: Connect
) -> None:
    merchant, store = await make_merchant(app)  # the show's own staff: no flood control
    show = await make_show(app, store)
    sender = await connect(merchant)
    viewer = await connect()
    await sender.join(show.id)
    await viewer.join(show.id)

    await sender.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "하나"})
    await viewer.wait_text("하나")
    for text in ("둘", "셋", "넷"):
        await sender.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": text})
    await viewer.wait_text("넷")
    await app[keys.chat_hub].wait_stored()

    frames = [[m["text"] for m in batch] for batch in viewer.events(ChatEvent.MESSAGES)]
    assert frames == [["하나"], ["둘", "셋", "넷"]]
