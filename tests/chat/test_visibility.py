"""A stranger's Socket.IO `join` of a show that is not public is refused like a show
that does not exist, and nothing said in its room reaches them (issue 16, item 4)."""

from __future__ import annotations

from server.events import ChatCommand, ChatEvent
from tests.chat.conftest import Connect
from tests.helpers import AppClient, make_user
from tests.server.test_show_visibility import slot_request


async def test_a_stranger_cannot_join_a_private_shows_chat(
    served: AppClient, connect: Connect
) -> None:
    show, _, creator = await slot_request(served.app)
    staff = await connect(creator)
    joined = await staff.join(show.id)
    assert joined["me"]["can_moderate"]
    await staff.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "원가는 9,900원"})
    await staff.wait_text("원가는 9,900원")

    for n, user in enumerate((None, await make_user(served.app))):
        outsider = await connect(user)
        await outsider.emit(ChatCommand.JOIN, {"show_id": show.id})
        error = await outsider.error()
        assert error["code"] == "no_show" and error["event"] == ChatCommand.JOIN
        assert outsider.events(ChatEvent.JOINED) == []
        # Not in the room: nothing it sends is accepted, nothing said there reaches it.
        start = len(outsider.received)
        await outsider.emit(ChatCommand.HEART, {"show_id": show.id})
        assert (await outsider.error(after=start))["code"] == "not_joined"
        later = f"나중 메시지 {n}"
        await staff.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": later})
        await staff.wait_text(later)
        assert "원가는 9,900원" not in outsider.texts() and later not in outsider.texts()
