"""A merchant reads the insights on a phone (390×844): the demo's 90 days of shows, the
best-time heatmap, what sells, a forecast with its range, and one show's who-stays."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from server import keys
from server.demo import DEMO_PASSWORD, seed
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e


async def test_a_merchant_reads_the_insights_on_a_phone(
    live_server: LiveServer, page: Page
) -> None:
    app = live_server.app
    async with app[keys.sessionmaker].begin() as session:
        await seed(session)
    assert await app[keys.forecaster].retrain()

    await page.goto(live_server.url + "/login?next=/merchant")
    await page.get_by_label("이메일").fill("halmae@demo.jangteo.kr")
    await page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="로그인").click()
    await page.get_by_test_id("store-insights").click()

    await expect(page.get_by_role("heading", name="방송하기 좋은 시간")).to_be_visible()
    heatmap = page.locator('[data-chart="heatmap-orders"]')
    await heatmap.scroll_into_view_if_needed()
    await expect(heatmap).to_be_visible()
    box = await heatmap.bounding_box()
    assert box is not None and 300 <= box["width"] <= 390  # fills the phone, no wider
    await expect(page.get_by_test_id("best-slot")).to_contain_text("다른 가게들은")
    await expect(page.get_by_test_id("advice").first).to_contain_text("고정했을 때 분당")

    orders = page.locator('[data-figure="forecast-orders"]')
    await orders.scroll_into_view_if_needed()
    await expect(orders).to_be_visible()
    await expect(orders).to_have_text(re.compile(r"^\d+(\.\d)?$"))
    await expect(page.locator('[data-figure="range-orders"]')).to_contain_text("~")
    await expect(page.get_by_test_id("reasons-table")).to_contain_text("시간대")
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390  # wide tables scroll inside their card, not the page

    # Another slot: the forecast follows the form.
    await page.get_by_label("방송 길이(분)").fill("120")
    await page.get_by_role("button", name="예상해 보기").click()
    await expect(page.locator('[data-figure="forecast-orders"]')).to_be_visible()
    assert "minutes=120" in page.url

    await page.get_by_test_id("returning-table").get_by_role("link").first.click()
    await expect(page.get_by_role("heading", name="누가 남아 있나")).to_be_visible()
    await expect(page.locator('[data-chart="retention"]')).to_be_visible()
    await expect(page.locator('[data-chart="timeline"]')).to_be_visible()
