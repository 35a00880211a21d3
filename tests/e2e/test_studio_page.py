"""The studio and the moderation dashboard as the people at work there see them, on a
phone (390x844) and a desktop."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from server import keys
from server.accounts.models import Role
from server.shows import service as shows
from tests.e2e.conftest import LiveServer
from tests.e2e.test_chat_live import sign_in
from tests.helpers import make_merchant, make_show, make_user

pytestmark = pytest.mark.e2e
WAIT_MS = 15_000  # for what another page, the socket or WebRTC brings: the machine is shared

LONG_DEVICE_NAMES = """
const enumerate = navigator.mediaDevices.enumerateDevices.bind(navigator.mediaDevices);
navigator.mediaDevices.enumerateDevices = async () => (await enumerate()).map((d) => ({
  deviceId: d.deviceId, groupId: d.groupId, kind: d.kind,
  label: `기본값 - MacBook Pro 마이크 (Built-in, USB Audio Class 2.0) ${d.label}`,
}));
"""

# Is the element drawn as a numbered list item ("1. …")?
IN_A_LIST = "el => el.closest('li') !== null"


async def _start(server: LiveServer, show_id: int) -> None:
    async with server.app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show_id, "start")


async def _announce(server: LiveServer, show_id: int) -> None:
    """What every page, API call or rule that moves a show does after committing."""
    async with server.app[keys.sessionmaker]() as session:
        show = await shows.get_show(session, show_id)
    await shows.announce_state(server.app[keys.live_events], show)


async def _ask(page: Page, server: LiveServer, show_id: int, text: str) -> None:
    await page.goto(f"{server.url}/shows/{show_id}")
    await page.get_by_test_id("chat-input").fill(text)
    await page.get_by_test_id("chat-question").check()
    await page.get_by_test_id("chat-send").click()


async def test_no_open_question_is_a_sentence_not_item_one_of_a_list(
    live_server: LiveServer, page: Page, browser: Browser
) -> None:
    creator = await make_user(live_server.app, Role.CREATOR, name="진행자 하나")
    operator = await make_user(live_server.app, Role.OPERATOR, name="운영팀")
    _, store = await make_merchant(live_server.app, "망원 떡집")
    show = await make_show(live_server.app, store, [creator], title="떡 라이브")
    await _start(live_server, show.id)
    shopper = await make_user(live_server.app, name="장보기 민수")

    # The host's phone: nothing asked yet.
    await sign_in(page, live_server, creator)
    await page.goto(f"{live_server.url}/studio/shows/{show.id}")
    empty = page.get_by_test_id("no-questions")
    await expect(empty).to_have_text("답변을 기다리는 질문이 없어요.")
    assert await empty.evaluate(IN_A_LIST) is False
    await expect(page.get_by_test_id("chat-questions").locator("li")).to_have_count(0)
    await page.screenshot(path="/tmp/shots/studio-no-questions.png", full_page=True)

    # A question arrives: listed, and the empty sentence goes; answered, it comes back.
    asker_context = await browser.new_context(locale="ko-KR")
    asker = await asker_context.new_page()
    try:
        await sign_in(asker, live_server, shopper)
        await _ask(asker, live_server, show.id, "인절미 남았어요?")
        questions = page.get_by_test_id("chat-questions")
        await expect(questions.locator("li")).to_have_count(1, timeout=WAIT_MS)
        await expect(questions).to_contain_text("인절미 남았어요?")
        await expect(empty).to_be_hidden()
        await page.get_by_test_id("mark-answered").click()
        await expect(empty).to_be_visible(timeout=WAIT_MS)
        await expect(questions).to_be_hidden()
    finally:
        await asker_context.close()

    # The operator's moderation dashboard shows the same panel per live show.
    ops_context = await browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    ops = await ops_context.new_page()
    try:
        await sign_in(ops, live_server, operator)
        await ops.goto(f"{live_server.url}/ops/moderation")
        empty = ops.get_by_test_id("no-questions")
        await expect(empty).to_have_text("답변을 기다리는 질문이 없어요.")
        assert await empty.evaluate(IN_A_LIST) is False
        await expect(ops.get_by_test_id("chat-questions").locator("li")).to_have_count(0)
    finally:
        await ops_context.close()


async def test_the_studio_badge_follows_the_show_live_and_ended_without_a_reload(
    live_server: LiveServer, page: Page
) -> None:
    creator = await make_user(live_server.app, Role.CREATOR, name="라이브 지수")
    _, store = await make_merchant(live_server.app, "망원 반찬")
    show = await make_show(live_server.app, store, [creator], title="김장 라이브")

    page.on("dialog", lambda dialog: dialog.accept())
    await sign_in(page, live_server, creator)
    await page.goto(f"{live_server.url}/studio/shows/{show.id}")
    badge = page.get_by_test_id("show-state")
    await expect(badge).to_have_text("예정")
    await expect(page.get_by_test_id("camera")).not_to_be_empty()

    await page.get_by_test_id("go-live").click()
    await expect(page.get_by_test_id("on-air")).to_be_visible(timeout=WAIT_MS)
    await expect(badge).to_have_text("라이브", timeout=WAIT_MS)
    await expect(badge).to_have_class("badge state-live")
    # Live: "go live" is off, and looks it.
    go_live = page.get_by_test_id("go-live")
    await expect(go_live).to_be_disabled()
    assert float(await go_live.evaluate("b => getComputedStyle(b).opacity")) < 0.7

    await page.get_by_test_id("end-show").click()
    await expect(badge).to_have_text("종료", timeout=WAIT_MS)
    await expect(go_live).to_be_disabled()


async def test_a_show_ended_elsewhere_updates_the_open_studio(
    live_server: LiveServer, page: Page
) -> None:
    """An operator ends the show from the API or the grace period runs out: the studio
    someone left open says so at once."""
    creator = await make_user(live_server.app, Role.CREATOR, name="라이브 지수")
    _, store = await make_merchant(live_server.app, "망원 반찬")
    show = await make_show(live_server.app, store, [creator], title="김장 라이브")
    await sign_in(page, live_server, creator)
    await page.goto(f"{live_server.url}/studio/shows/{show.id}")
    badge = page.get_by_test_id("show-state")
    await expect(badge).to_have_text("예정")
    # The page's socket has joined the show's room.
    await expect(page.get_by_test_id("chat-viewers")).to_have_text("0", timeout=WAIT_MS)

    await _start(live_server, show.id)
    await _announce(live_server, show.id)
    await expect(badge).to_have_text("라이브", timeout=WAIT_MS)
    await expect(page.get_by_test_id("end-show")).to_be_visible(timeout=WAIT_MS)

    async with live_server.app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show.id, "end")
    await _announce(live_server, show.id)
    await expect(badge).to_have_text("종료", timeout=WAIT_MS)
    await expect(page.get_by_test_id("end-show")).to_be_hidden()
    await expect(page.get_by_test_id("go-live")).to_be_disabled()
    await expect(page.get_by_test_id("studio-status")).to_have_text("방송이 끝났어요.")


@pytest.mark.parametrize("viewport", [(390, 844), (1280, 900)], ids=["phone", "desktop"])
async def test_studio_controls_fit_and_look_like_controls(
    live_server: LiveServer, browser: Browser, viewport: tuple[int, int]
) -> None:
    creator = await make_user(live_server.app, Role.CREATOR, name="라이브 지수")
    _, store = await make_merchant(live_server.app, "망원 반찬")
    show = await make_show(live_server.app, store, [creator], title="김장 라이브")
    await _start(live_server, show.id)
    shopper = await make_user(live_server.app, name="장보기 민수")
    width, height = viewport
    context = await browser.new_context(
        locale="ko-KR", viewport={"width": width, "height": height}, timezone_id="Asia/Seoul"
    )
    # Real devices have long names (Chromium's fake ones are short).
    await context.add_init_script(LONG_DEVICE_NAMES)
    studio = await context.new_page()
    asker_context = await browser.new_context(locale="ko-KR")
    asker = await asker_context.new_page()
    try:
        await sign_in(studio, live_server, creator)
        await studio.goto(f"{live_server.url}/studio/shows/{show.id}")
        await expect(studio.get_by_test_id("microphone")).not_to_be_empty()

        await studio.screenshot(path=f"/tmp/shots/studio-devices-{width}.png")
        # The device pickers stay inside the column the picture draws, each in its half.
        preview = await studio.get_by_test_id("preview").bounding_box()
        camera = await studio.get_by_test_id("camera").bounding_box()
        microphone = await studio.get_by_test_id("microphone").bounding_box()
        assert preview and camera and microphone
        assert camera["x"] >= preview["x"] - 0.5
        assert camera["x"] + camera["width"] <= microphone["x"]
        assert microphone["x"] + microphone["width"] <= preview["x"] + preview["width"] + 0.5
        assert await studio.evaluate("document.documentElement.scrollWidth") <= width

        # The chat tools' inputs are styled like every other field of the app.
        for field in ("chat-notice-input", "chat-slow-mode"):
            style = await studio.get_by_test_id(field).evaluate(
                "el => { const s = getComputedStyle(el);"
                " return [parseFloat(s.paddingLeft), parseFloat(s.borderTopLeftRadius)]; }"
            )
            assert style[0] >= 8 and style[1] >= 6, (field, style)
        word = studio.locator('[data-control="word"] input[name="word"]')
        assert await word.evaluate("el => parseFloat(getComputedStyle(el).paddingLeft)") >= 8

        # A shopper's line: one small menu button, not a row of underlined links.
        await sign_in(asker, live_server, shopper)
        await asker.goto(f"{live_server.url}/shows/{show.id}")
        await asker.get_by_test_id("chat-input").fill("배송은 언제 와요?")
        await asker.get_by_test_id("chat-send").click()
        line = studio.get_by_test_id("chat-line").filter(has_text="배송은 언제 와요?")
        await expect(line).to_be_visible(timeout=WAIT_MS)
        actions = line.get_by_test_id("chat-action")
        await expect(actions.first).to_be_hidden()
        toggle = line.get_by_test_id("chat-tools-toggle")
        await expect(toggle).to_be_visible()
        await toggle.click()
        # Delete, time out, ban, make moderator.
        await expect(actions).to_have_count(4, timeout=WAIT_MS)
        for i in range(await actions.count()):
            action = actions.nth(i)
            await expect(action).to_be_visible()
            box = await action.bounding_box()
            assert box and box["height"] >= 36, await action.text_content()  # a finger's size
            assert box["x"] + box["width"] <= width
            decoration = await action.evaluate("b => getComputedStyle(b).textDecorationLine")
            assert decoration == "none"
        await studio.screenshot(path=f"/tmp/shots/studio-{width}.png", full_page=True)
        await actions.filter(has_text="삭제").click()
        await expect(line).to_have_count(0, timeout=WAIT_MS)
        await expect(asker.get_by_text("배송은 언제 와요?")).to_have_count(0, timeout=WAIT_MS)
    finally:
        await asker_context.close()
        await context.close()
