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

# Is the element drawn as a numbered list item ("1. …")?
IN_A_LIST = "el => el.closest('li') !== null"


async def _start(server: LiveServer, show_id: int) -> None:
    async with server.app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show_id, "start")


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
        await expect(questions.locator("li")).to_have_count(1)
        await expect(questions).to_contain_text("인절미 남았어요?")
        await expect(empty).to_be_hidden()
        await page.get_by_test_id("mark-answered").click()
        await expect(empty).to_be_visible()
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
