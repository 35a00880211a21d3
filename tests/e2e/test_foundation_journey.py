"""A shopper signs up, browses a show page and switches the language."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import LiveServer
from tests.helpers import make_merchant, make_show

pytestmark = pytest.mark.e2e


async def test_shopper_signs_up_browses_a_show_and_switches_language(
    live_server: LiveServer, page: Page
) -> None:
    _, store = await make_merchant(live_server.app, "망원 떡집")
    show = await make_show(live_server.app, store, title="설날 떡 라이브")

    await page.goto(live_server.url + "/")
    await expect(page.get_by_test_id("shelf-upcoming")).to_contain_text("설날 떡 라이브")
    await page.get_by_role("link", name="회원가입").click()
    await page.get_by_label("이름").fill("장보기 민수")
    await page.get_by_label("이메일").fill("minsu@example.kr")
    await page.get_by_label("비밀번호 (8자 이상)").fill("correct-horse-battery")
    await page.get_by_role("button", name="가입하기").click()
    await expect(page.get_by_test_id("who")).to_have_text("장보기 민수")

    await page.get_by_test_id("show-card").first.click()
    await expect(page).to_have_url(f"{live_server.url}/shows/{show.id}")
    await expect(page.get_by_test_id("show-title")).to_have_text("설날 떡 라이브")
    await expect(page.get_by_test_id("show-state")).to_have_text("예정")

    await page.get_by_test_id("lang-en").click()
    await expect(page.get_by_test_id("show-state")).to_have_text(
        "Scheduled"
    )  # a word, not the state code
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert await page.locator("html").get_attribute("lang") == "en"

    await page.get_by_test_id("lang-ko").click()
    await expect(page.get_by_role("button", name="로그아웃")).to_be_visible()
