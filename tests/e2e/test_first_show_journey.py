"""A merchant new to digital tools gets a first show ready from a phone: signs up with
the shop and its market, adds three products with photos, books a slot the operator
opened, posts a job for a host, ticks the day-of checklist and rehearses privately in the
studio. The walk is timed and the duration printed (the goal is under ten minutes; the
test never fails on the time)."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Page, expect

from server import keys
from server.accounts.models import Role
from server.db import utcnow
from server.jobs import profiles
from server.jobs.profiles import ProfileInput
from server.markets.demo import seed_markets
from server.onboarding import slots
from tests.e2e.conftest import LiveServer
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.e2e

PRODUCTS = (("배추김치 1kg", "15000", (200, 40, 40)), ("총각김치 1kg", "18,000", (90, 150, 60)),
            ("밑반찬 3종", "12000", (230, 190, 60)))  # fmt: skip


def _photo(folder: Path, name: str, colour: tuple[int, int, int]) -> Path:
    path = folder / f"{name}.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


async def _sign_in(page: Page, email: str) -> None:
    await page.get_by_label("이메일").fill(email)
    await page.get_by_label("비밀번호").fill(PASSWORD)
    await page.get_by_role("button", name="로그인").click()


async def _approve(browser: Browser, url: str, operator_email: str, merchant_name: str) -> None:
    """The operator, on their own computer, approves the new shop from the notification."""
    context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    ops = await context.new_page()
    try:
        await ops.goto(f"{url}/login?next=/notifications")
        await _sign_in(ops, operator_email)
        await ops.get_by_text("승인을 기다리는 새 가게").first.click()
        row = ops.get_by_test_id("pending-accounts").locator("tr", has_text=merchant_name)
        await row.get_by_role("button", name="승인").click()
        await expect(ops.get_by_test_id("pending-accounts")).not_to_contain_text(merchant_name)
    finally:
        await context.close()


async def test_a_new_merchants_first_show_from_a_phone(
    live_server: LiveServer, browser: Browser, page: Page, tmp_path: Path
) -> None:
    app = live_server.app
    operator = await make_user(app, Role.OPERATOR, name="운영팀")
    host = await make_user(app, Role.CREATOR, name="라이브 지은")
    async with app[keys.sessionmaker].begin() as session:
        await seed_markets(session)
        await slots.open_slot(session, operator, utcnow() + dt.timedelta(days=2), 60, "저녁 장")
        await profiles.save_profile(
            session, host, ProfileInput(["host"], ["서울"], ["한국어"], "망원 토박이 진행자")
        )
    photos = [_photo(tmp_path, name, colour) for name, _, colour in PRODUCTS]
    page.on("dialog", lambda dialog: dialog.accept())
    started = time.perf_counter()

    # 1. The shop and its market, found by its initial consonants.
    await page.goto(f"{live_server.url}/start")
    await page.get_by_test_id("start-signup").click()
    await page.get_by_label("이름", exact=True).fill("김순자")
    await page.get_by_label("가게 이름").fill("순자네 반찬")
    await page.get_by_test_id("market-picker-search").fill("ㅁㅇ")
    chosen = page.get_by_test_id("market-picker").locator("option:checked")
    await expect(chosen).to_have_text(re.compile("망원시장"))
    await page.get_by_label("이메일").fill("soonja@example.kr")
    await page.get_by_label("비밀번호 (8자 이상)").fill(PASSWORD)
    await page.get_by_role("button", name="다음").click()
    await expect(page.get_by_test_id("pending")).to_be_visible()
    await _approve(browser, live_server.url, operator.email, "김순자")
    await page.get_by_test_id("continue-after-approval").click()
    await _sign_in(page, "soonja@example.kr")
    await expect(page.get_by_test_id("guide-steps")).to_be_visible()

    # 2. Three products, photos from the camera, prices on the number pad.
    await page.get_by_test_id("next-step").click()
    photo_input = page.get_by_test_id("product-photo")
    assert await photo_input.get_attribute("capture") == "environment"
    assert await page.get_by_test_id("product-price").get_attribute("inputmode") == "numeric"
    for (name, price, _), photo in zip(PRODUCTS, photos, strict=True):
        await page.get_by_test_id("product-photo").set_input_files(photo)
        await page.get_by_label("무슨 상품인가요?").fill(name)
        await page.get_by_test_id("product-price").fill(price)
        await page.get_by_label("몇 개 있나요?").fill("20")
        await page.get_by_role("button", name="이 상품 올리기").click()
        await expect(page.get_by_test_id("product-saved")).to_be_visible()
    await expect(page.get_by_test_id("added-product")).to_have_count(3)
    await expect(page.get_by_test_id("product-count")).to_have_text("3개 중 3개 올림")

    # 3. A slot the market team opened.
    await page.get_by_test_id("next-step").click()
    await page.get_by_test_id("show-title").fill("순자네 김장 김치 라이브")
    await page.get_by_test_id("open-slot").first.click()

    # 4. A job for a host, with the pay in won.
    await page.get_by_test_id("post-job").click()
    await page.get_by_test_id("role-host").check()
    await page.get_by_test_id("pay-host").fill("120000")
    await page.get_by_label("장소").fill("망원시장 안 가게 앞")
    await page.get_by_role("button", name="일자리 올리기").click()
    await expect(page.get_by_test_id("job-posted")).to_be_visible()

    # 5. The day-of checklist and a private rehearsal in the studio.
    await page.get_by_test_id("next-step").click()
    for item in ("light", "stand", "connection"):
        await page.get_by_test_id(f"tick-{item}").click()
        await expect(page.get_by_test_id(f"tick-{item}")).to_have_attribute("aria-pressed", "true")
    await expect(page.get_by_test_id("all-done")).to_be_visible()
    await page.get_by_test_id("rehearse").click()
    await expect(page.get_by_test_id("camera")).not_to_be_empty()
    await page.get_by_test_id("rehearse").check()
    await page.get_by_test_id("go-live").click()
    await expect(page.get_by_test_id("studio-status")).to_contain_text("리허설 중")
    elapsed = time.perf_counter() - started

    print(f"\nfirst show journey: {elapsed:.1f} s from the welcome page to a private rehearsal")
    # What the walk left behind, as the merchant's people would see it.
    await page.goto(f"{live_server.url}/start")
    await expect(page.get_by_test_id("guide-steps").locator("[data-done]")).to_have_count(5)
    host_page = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    try:
        creator = await host_page.new_page()
        await creator.goto(f"{live_server.url}/login?next=/notifications")
        await _sign_in(creator, host.email)
        await expect(creator.get_by_test_id("notification").first).to_contain_text("순자네 반찬")
    finally:
        await host_page.close()
