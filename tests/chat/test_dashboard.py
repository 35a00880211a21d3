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
        assert "ban" in audit and "도배꾼" in audit
        lift_id = restrictions.split('data-testid="lift-')[1].split('"')[0]
        status, page = await ops.post(f"/ops/moderation/restrictions/{lift_id}/lift")
        assert status == 200
        restrictions = page.split('data-testid="restrictions"')[1].split("</section>")[0]
        assert "도배꾼" not in restrictions
        assert "lift_ban" in page.split('data-testid="audit-log"')[1]
    finally:
        await shopper_browser.http.close()
        await ops.http.close()

    fan = await connect(troll)
    await fan.join(show.id)
    await fan.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "다시 왔어요"})
    await host.wait_text("다시 왔어요")
