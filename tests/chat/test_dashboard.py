"""The operators' moderation dashboard: live chats, bans in force with undo, audit log."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from server import keys
from server.accounts.models import Role, User
from server.events import ChatCommand, ChatEvent
from server.security import CSRF_COOKIE, csrf_token_for
from server.shows import service as shows
from tests.chat.conftest import Connect
from tests.helpers import PASSWORD, make_merchant, make_show, make_user


class Browser:
    """Plain HTTP against the chat tests' server, signed in as one user."""

    def __init__(self, app: web.Application, base: str) -> None:
        self.app, self.base = app, base.rstrip("/")
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    def token(self) -> str:
        seed = next(c.value for c in self.http.cookie_jar if c.key == CSRF_COOKIE)
        return csrf_token_for(self.app[keys.settings].secret_key.reveal(), seed)

    async def sign_in(self, user: User) -> None:
        await self.http.get(f"{self.base}/login")
        async with self.http.post(
            f"{self.base}/login",
            data={"email": user.email, "password": PASSWORD, "_csrf": self.token()},
            allow_redirects=False,
        ) as resp:
            assert resp.status == 303

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.base + path) as resp:
            return resp.status, await resp.text()

    async def post(self, path: str) -> tuple[int, str]:
        async with self.http.post(self.base + path, data={"_csrf": self.token()}) as resp:
            return resp.status, await resp.text()


async def test_operator_sees_live_chats_bans_and_undoes_one(
    app: web.Application, connect: Connect
) -> None:
    operator = await make_user(app, Role.OPERATOR, name="운영팀")
    merchant, store = await make_merchant(app)
    show = await make_show(app, store, title="생방송 중")
    async with app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show.id, "start")
    troll = await make_user(app, name="도배꾼")
    host = await connect(merchant)
    await host.join(show.id)
    await host.emit(ChatCommand.BAN_USER, {"show_id": show.id, "user_id": troll.id})
    await host.wait_for(ChatEvent.DONE, lambda d: d["event"] == ChatCommand.BAN_USER)

    shopper_browser = Browser(app, host.url)
    ops = Browser(app, host.url)
    try:
        await shopper_browser.sign_in(troll)
        assert (await shopper_browser.get("/ops/moderation"))[0] == 403
        await ops.sign_in(operator)
        status, page = await ops.get("/ops/moderation")
        assert status == 200
        assert "생방송 중" in page and f'data-show-id="{show.id}"' in page
        restrictions = page.split('data-testid="restrictions"')[1].split("</section>")[0]
        assert "도배꾼" in restrictions
        audit = page.split('data-testid="audit-log"')[1].split("</section>")[0]
        assert "도배꾼 님을 이 가게의 채팅에서 차단했어요" in audit
        lift_id = restrictions.split('data-testid="lift-')[1].split('"')[0]
        status, page = await ops.post(f"/ops/moderation/restrictions/{lift_id}/lift")
        assert status == 200
        restrictions = page.split('data-testid="restrictions"')[1].split("</section>")[0]
        assert "도배꾼" not in restrictions
        assert "도배꾼 님의 차단을 풀었어요" in page.split('data-testid="audit-log"')[1]
    finally:
        await shopper_browser.http.close()
        await ops.http.close()

    fan = await connect(troll)
    await fan.join(show.id)
    await fan.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "다시 왔어요"})
    await host.wait_text("다시 왔어요")


async def test_the_audit_log_reads_as_sentences_in_the_readers_language(
    app: web.Application, connect: Connect
) -> None:
    operator = await make_user(app, Role.OPERATOR, name="운영팀")
    merchant, store = await make_merchant(app)
    show = await make_show(app, store, title="저녁 장")
    async with app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show.id, "start")
    rude = await make_user(app, name="민수")
    host = await connect(merchant)
    await host.join(show.id)
    fan = await connect(rude)
    await fan.join(show.id)
    await fan.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "광고 링크 클릭"})
    line = await host.wait_text("광고 링크 클릭")
    await host.emit(ChatCommand.DELETE_MESSAGE, {"show_id": show.id, "message_id": line["id"]})
    await host.wait_for(ChatEvent.DONE, lambda d: d["event"] == ChatCommand.DELETE_MESSAGE)
    await host.emit(
        ChatCommand.TIMEOUT_USER, {"show_id": show.id, "user_id": rude.id, "minutes": 5}
    )
    await host.wait_for(ChatEvent.DONE, lambda d: d["event"] == ChatCommand.TIMEOUT_USER)
    await host.emit(ChatCommand.SET_SLOW_MODE, {"show_id": show.id, "seconds": 15})
    await host.wait_for(ChatEvent.DONE, lambda d: d["event"] == ChatCommand.SET_SLOW_MODE)

    ops = Browser(app, host.url)
    try:
        await ops.sign_in(operator)
        _, page = await ops.get("/ops/moderation")
        audit = page.split('data-testid="audit-log"')[1].split("</section>")[0]
        assert "저속 모드를 켰어요: 15초에 한 번씩" in audit
        assert "민수 님의 채팅을 5분 동안 제한했어요" in audit
        assert "민수 님의 메시지를 삭제했어요: “광고 링크 클릭”" in audit
        for code in ("timeout", "slow_mode", "delete_message", "5 min", "(15)"):
            assert code not in audit
        async with ops.http.post(
            f"{ops.base}/lang",
            data={"locale": "en", "next": "/ops/moderation", "_csrf": ops.token()},
        ) as resp:
            english = await resp.text()
        audit = english.split('data-testid="audit-log"')[1].split("</section>")[0]
        assert "Set slow mode: one message every 15 seconds" in audit
        assert "Timed out 민수 for 5 minutes" in audit
        assert "Deleted a message by 민수: “광고 링크 클릭”" in audit
    finally:
        await ops.http.close()
