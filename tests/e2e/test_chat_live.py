"""Chat in a real Chromium: a shopper chats over the video, HTML stays text, hearts
float, and the host answers a question from the studio."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from server.accounts.models import Role, User
from tests.e2e.conftest import LiveServer
from tests.helpers import PASSWORD, make_merchant, make_show, make_user

pytestmark = pytest.mark.e2e


async def sign_in(page: Page, server: LiveServer, user: User) -> None:
    await page.goto(server.url + "/login")
    await page.locator("input[name=email]").fill(user.email)
    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("form button[type=submit].primary").click()
    await expect(page.get_by_test_id("who")).to_have_text(user.display_name)


async def test_shopper_chats_and_the_host_answers(
    live_server: LiveServer, page: Page, browser: Browser
) -> None:
    creator = await make_user(live_server.app, Role.CREATOR, name="진행자 하나")
    _, store = await make_merchant(live_server.app, "망원 떡집")
    show = await make_show(live_server.app, store, [creator], title="떡 라이브")
    shopper = await make_user(live_server.app, name="장보기 민수")

    await sign_in(page, live_server, shopper)
    await page.goto(f"{live_server.url}/shows/{show.id}")
    log = page.get_by_test_id("chat-log")
    await expect(page.get_by_test_id("chat-viewers")).to_have_text("1")

    nasty = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    await page.get_by_test_id("chat-input").fill(nasty)
    await page.get_by_test_id("chat-send").click()
    line = log.get_by_test_id("chat-line").last
    await expect(line.locator(".chat-text")).to_have_text(nasty)
    assert await log.locator("img, script").count() == 0
    assert await page.evaluate("window.pwned") is None

    await page.get_by_test_id("heart-button").click()
    await expect(page.get_by_test_id("chat-hearts")).to_have_text("1")

    await page.get_by_test_id("chat-input").fill("인절미 남았어요?")
    await page.get_by_test_id("chat-question").check()
    await page.get_by_test_id("chat-send").click()
    question = log.get_by_test_id("chat-line").filter(has_text="인절미 남았어요?")
    await expect(question).to_have_class("chat-line question")

    studio_context = await browser.new_context(locale="ko-KR")
    studio = await studio_context.new_page()
    try:
        await sign_in(studio, live_server, creator)
        await studio.goto(f"{live_server.url}/studio/shows/{show.id}")
        # The shopper watches; the host in the studio is at work, not a viewer.
        await expect(studio.get_by_test_id("chat-viewers")).to_have_text("1")
        open_questions = studio.get_by_test_id("chat-questions")
        await expect(open_questions).to_contain_text("인절미 남았어요?")
        await studio.get_by_test_id("mark-answered").click()
        # Highlighted for everyone, and gone from the host's open questions.
        await expect(question).to_have_class("chat-line question answered")
        await expect(open_questions).not_to_contain_text("인절미 남았어요?")

        await studio.get_by_test_id("chat-notice-input").fill("오늘만 무료배송")
        await studio.locator('[data-control="notice"] button').click()
        await expect(page.get_by_test_id("chat-notice")).to_have_text("오늘만 무료배송")
    finally:
        await studio_context.close()


async def test_anonymous_viewer_reads_but_is_asked_to_sign_in(
    live_server: LiveServer, page: Page
) -> None:
    _, store = await make_merchant(live_server.app)
    show = await make_show(live_server.app, store)
    await page.goto(f"{live_server.url}/shows/{show.id}")
    await expect(page.get_by_test_id("chat-viewers")).to_have_text("1")
    await expect(page.get_by_role("link", name="로그인하고 채팅하기")).to_be_visible()
    await expect(page.get_by_test_id("chat-input")).to_have_count(0)
