"""An operator finds a merchant's slot request on the calendar, approves it, and the
merchant sees the notification; a shopper asks to be reminded."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import Page, expect

from server.accounts.models import Role
from tests.e2e.conftest import LiveServer
from tests.helpers import PASSWORD, make_merchant, make_user

pytestmark = pytest.mark.e2e
SEOUL = dt.timezone(dt.timedelta(hours=9))


async def _sign_in(page: Page, url: str, email: str) -> None:
    await page.goto(url + "/login")
    await page.get_by_label("이메일").fill(email)
    await page.get_by_label("비밀번호").fill(PASSWORD)
    await page.get_by_role("button", name="로그인").click()
    await expect(page.get_by_test_id("who")).to_be_visible()


async def _sign_out(page: Page) -> None:
    await page.get_by_role("button", name="로그아웃").click()


async def test_slot_request_is_approved_on_the_calendar(
    live_server: LiveServer, page: Page
) -> None:
    operator = await make_user(live_server.app, Role.OPERATOR, name="운영팀")
    merchant, store = await make_merchant(live_server.app, "망원 떡집")
    shopper = await make_user(live_server.app, name="민수")
    start = (dt.datetime.now(SEOUL) + dt.timedelta(days=2)).replace(hour=19, minute=0)

    await _sign_in(page, live_server.url, merchant.email)
    await page.goto(f"{live_server.url}/stores/{store.id}/shows/new")
    await page.get_by_label("제목").fill("설 떡국 떡 라이브")
    await page.get_by_label("시작 (서울 시간)").fill(start.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_role("button", name="저장").click()
    await expect(page.get_by_test_id("approval")).to_contain_text("운영자 승인을 기다리는 중")
    await _sign_out(page)

    await _sign_in(page, live_server.url, operator.email)
    await expect(page.get_by_test_id("notifications")).to_contain_text("1")
    await page.get_by_role("link", name="캘린더").click()
    await page.get_by_role("link", name="월").click()
    if start.month != dt.datetime.now(SEOUL).month:
        await page.get_by_role("link", name="다음").click()
    event = page.locator(f"[data-day='{start.date().isoformat()}'] .event")
    await expect(event).to_contain_text("설 떡국 떡 라이브")
    await expect(event).to_contain_text("승인 대기")
    await event.click()
    await page.get_by_test_id("approve-show").click()
    await expect(page.get_by_test_id("approval")).to_have_count(0)
    await _sign_out(page)

    await _sign_in(page, live_server.url, merchant.email)
    await page.get_by_test_id("notifications").click()
    await expect(page.get_by_test_id("notification").first).to_contain_text(
        "“설 떡국 떡 라이브” 방송이 승인되었습니다."
    )
    await _sign_out(page)

    await _sign_in(page, live_server.url, shopper.email)
    await page.goto(live_server.url + "/upcoming")
    await page.get_by_role("link", name="설 떡국 떡 라이브").click()
    await expect(page.get_by_test_id("countdown")).to_contain_text("일")
    await page.get_by_test_id("remind-me").click()
    await expect(page.get_by_test_id("reminded")).to_be_visible()
