"""Posting as one domain call: `ChatPosting.post(poster, show_id, text)` returns the
message (and whether it became durable) or raises the chat error a user would be shown,
with no socket involved. And a show that has ended closes its chat."""

from __future__ import annotations

import pytest
from aiohttp import web

from chat import errors
from chat.posting import Poster
from chat.service import Chatter
from server import keys
from server.accounts.models import Role, User
from server.events import ChatCommand
from server.shows import service as shows
from tests.chat.conftest import Connect
from tests.helpers import AppClient, make_merchant, make_show, make_user


def _chatter(user: User) -> Chatter:
    return Chatter(user_id=user.id, name=user.display_name, role=user.role, store_id=None)


async def test_post_returns_the_message_once_durable_or_the_error(
    app: web.Application, client: AppClient
) -> None:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    shopper = Poster(_chatter(await make_user(app, name="민지")), badge="shopper")
    posting = app[keys.chat_posting]

    posted = await posting.post(shopper, show.id, "  참기름 있나요?  ")
    assert (posted.draft.text, posted.draft.author) == ("참기름 있나요?", "민지")
    assert await posted.stored is True

    with pytest.raises(errors.SignInToChat):
        await posting.post(Poster(None), show.id, "익명")
    with pytest.raises(errors.BadCharacters):
        await posting.post(shopper, show.id, "깨진 \ud800")
    with pytest.raises(errors.LinksNotAllowed):
        await posting.post(shopper, show.id, "www.evil.example")
    # Flood control: three in two seconds, the fourth is refused (the link attempt and
    # the refused ones above counted too, as in the socket path).
    with pytest.raises(errors.TooFast):
        await posting.post(shopper, show.id, "넷째")
    # Staff skip flood control and the link rule.
    host = Poster(_chatter(await make_user(app, Role.OPERATOR)), badge="operator", staff=True)
    for n in range(5):
        await posting.post(host, show.id, f"공지 {n} https://jangteo.kr")


async def test_an_ended_show_closes_its_chat(app: web.Application, connect: Connect) -> None:
    merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    fan = await connect(await make_user(app), locale="ko")
    host = await connect(merchant, locale="en")
    await fan.join(show.id)
    await host.join(show.id)
    await fan.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "끝나기 전"})
    await fan.wait_text("끝나기 전")

    async with app[keys.sessionmaker].begin() as session:
        row = await shows.get_show(session, show.id)
        await shows.transition(session, merchant, row, "start")
        await shows.transition(session, merchant, row, "end")
    await shows.announce_state(app[keys.live_events], row)

    await fan.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "끝난 뒤"})
    assert await fan.error() == {
        "code": "show_closed",
        "message": "방송이 끝나서 채팅이 닫혔어요.",
        "event": ChatCommand.SEND_MESSAGE,
    }
    await host.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "staff too"})
    assert (await host.error())["message"] == "This show has ended, so its chat is closed."
    # The room still reads: its history is there for whoever comes late.
    late = await connect()
    joined = await late.join(show.id)
    assert [m["text"] for m in joined["messages"]] == ["끝나기 전"]
