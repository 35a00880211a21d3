"""A shopper watching a live show taps the pinned product, pays with 4242 4242 4242 4242
in the bottom sheet (localstripe's Stripe.js), sees the confirmation, and the merchant's
live order feed in the studio shows the order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from checkout import catalog
from server import keys
from server.accounts.models import Role
from server.localstripe_process import localstripe_settings
from server.settings import Settings
from server.shows import service as shows
from tests.conftest import base_settings
from tests.e2e.conftest import LiveServer
from tests.helpers import (
    PASSWORD,
    live_show_with_pinned_product,
    make_merchant,
    make_show,
    make_user,
)
from tests.localstripe import localstripe_url

pytestmark = pytest.mark.e2e
__all__ = ["localstripe_url"]


@pytest.fixture
def live_settings(tmp_path: Path, live_port: int, localstripe_url: str) -> Settings:
    settings = base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}").with_(
        port=live_port, public_url=f"http://127.0.0.1:{live_port}"
    )
    return localstripe_settings(settings, localstripe_url)


async def sign_in(page: Page, base: str, email: str, then: str) -> None:
    await page.goto(f"{base}/login?next={then}")
    await page.get_by_label("이메일").fill(email)
    await page.get_by_label("비밀번호").fill(PASSWORD)
    await page.get_by_role("button", name="로그인").click()
    await page.wait_for_url(f"**{then}")


async def test_shopper_buys_the_pinned_product_and_the_merchant_sees_the_order(
    live_server: LiveServer, browser: Browser, page: Page
) -> None:
    app = live_server.app
    merchant, store = await make_merchant(app, "할매 반찬가게")
    shopper = await make_user(app, Role.SHOPPER, name="장보기 민수")
    show = await make_show(
        app,
        store,
        title="김장 김치 라이브",
        start=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1),
    )
    async with app[keys.sessionmaker].begin() as session:
        product = await catalog.create_product(
            session,
            merchant,
            store.id,
            catalog.ProductInput(name="김장 김치 2kg", price=29000, stock=3),
        )
        live_show = await shows.get_show(session, show.id)
        await shows.transition(session, merchant, live_show, "start")
        await catalog.add_to_lineup(session, merchant, live_show, product.id)

    # The merchant opens the studio and pins the product.
    await sign_in(page, live_server.url, merchant.email, f"/studio/shows/{show.id}")
    await page.get_by_test_id(f"pin-{product.id}").click()
    await expect(page.get_by_test_id(f"pin-{product.id}")).to_have_text("고정됨")

    context = await browser.new_context(
        locale="ko-KR", viewport={"width": 390, "height": 844}, timezone_id="Asia/Seoul"
    )
    phone = await context.new_page()
    phone.set_default_timeout(15_000)
    try:
        await sign_in(phone, live_server.url, shopper.email, f"/shows/{show.id}")
        card = phone.get_by_test_id("pinned-product")
        await expect(card).to_contain_text("김장 김치 2kg")
        await expect(card).to_contain_text("₩29,000")
        await expect(phone.get_by_test_id("stock-left")).to_have_text("3개 남음")

        await phone.get_by_test_id("buy-button").click()
        sheet = phone.get_by_test_id("checkout-sheet")
        await expect(sheet).to_be_visible()
        await sheet.get_by_label("연락처").fill("010-1234-5678")
        await sheet.get_by_label("우편번호").fill("04001")
        await sheet.get_by_label("주소", exact=True).fill("서울 마포구 망원로 1")
        card_inputs = phone.get_by_test_id("card-element")
        await card_inputs.locator('input[placeholder="number"]').fill("4242424242424242")
        await card_inputs.locator('input[placeholder="exp_month"]').fill("12")
        await card_inputs.locator('input[placeholder="exp_year"]').fill("34")
        await card_inputs.locator('input[placeholder="cvc"]').fill("123")
        await card_inputs.locator('input[placeholder="postal_code"]').fill("04001")
        await expect(phone.get_by_test_id("pay-button")).to_have_text("₩29,000 결제하기")
        # Into the cart: the sheet lists it and the pay button pays the cart.
        await sheet.get_by_label("수량").fill("2")
        await phone.get_by_test_id("add-to-cart").click()
        await expect(phone.get_by_test_id("cart")).to_contain_text("김장 김치 2kg × 2")
        await expect(phone.get_by_test_id("cart-button")).to_have_text("장바구니 (1)")
        await expect(phone.get_by_test_id("pay-button")).to_have_text("₩58,000 결제하기")
        await phone.get_by_test_id("cart").get_by_role("button", name="삭제").click()
        await expect(phone.get_by_test_id("cart")).to_be_hidden()
        await sheet.get_by_label("수량").fill("1")
        await phone.get_by_test_id("add-to-cart").click()
        await expect(phone.get_by_test_id("pay-button")).to_have_text("₩29,000 결제하기")
        await phone.get_by_test_id("pay-button").click()

        done = phone.get_by_test_id("order-confirmation")
        await expect(done).to_be_visible()
        await expect(done).to_contain_text("주문이 완료되었습니다")
        await expect(done).to_contain_text("₩29,000")
        # The video frame is still there behind the sheet: the shopper never left.
        assert phone.url.endswith(f"/shows/{show.id}")
        await expect(phone.get_by_test_id("stock-left")).to_have_text("2개 남음")
        await expect(phone.get_by_test_id("cart-button")).to_be_hidden()

        # The merchant's live feed shows the order with the buyer's name masked.
        feed = page.get_by_test_id("order-feed")
        await expect(feed).to_contain_text("장*****님 구매", timeout=15_000)
        await expect(feed).to_contain_text("김장 김치 2kg × 1")
        await expect(feed).to_contain_text("₩29,000")

        # The merchant console shows the live show's orders too.
        await page.goto(f"{live_server.url}/merchant")
        await expect(page.get_by_test_id(f"console-feed-{show.id}")).to_contain_text(
            "라이브 중: 주문 1건 · ₩29,000"
        )

        # The receipt is one tap away.
        await phone.get_by_test_id("receipt-link").click()
        await expect(phone.get_by_test_id("order-status")).to_have_text("결제 완료")
        await expect(phone.get_by_test_id("replay-link")).to_contain_text("김장 김치 라이브")
    finally:
        await context.close()


async def fill_sheet(phone: Page, number: str) -> None:
    sheet = phone.get_by_test_id("checkout-sheet")
    await sheet.get_by_label("연락처").fill("010-1234-5678")
    await sheet.get_by_label("우편번호").fill("04001")
    await sheet.get_by_label("주소", exact=True).fill("서울 마포구 망원로 1")
    card_inputs = phone.get_by_test_id("card-element")
    await card_inputs.locator('input[placeholder="number"]').fill(number)
    await card_inputs.locator('input[placeholder="exp_month"]').fill("12")
    await card_inputs.locator('input[placeholder="exp_year"]').fill("34")
    await card_inputs.locator('input[placeholder="cvc"]').fill("123")


async def test_declined_card_then_three_d_secure_in_the_sheet(
    live_server: LiveServer, page: Page
) -> None:
    app = live_server.app
    sale = await live_show_with_pinned_product(
        app,
        store_name="나무결 공방",
        shopper_name="박서연",
        title="도마 라이브",
        product_name="원목 도마",
        price=39000,
        stock=2,
    )
    shopper, show = sale.shopper, sale.show

    await sign_in(page, live_server.url, shopper.email, f"/shows/{show.id}")
    await page.get_by_test_id("buy-button").click()
    await fill_sheet(page, "4000000000000341")
    await page.get_by_test_id("pay-button").click()
    error = page.get_by_test_id("checkout-error")
    await expect(error).to_contain_text("카드 결제가 거절되었습니다")
    await expect(page.get_by_test_id("stock-left")).to_have_text("2개 남음")

    # Another card that asks for 3-D Secure: localstripe's dialog, then the webhook.
    await (
        page.get_by_test_id("card-element")
        .locator('input[placeholder="number"]')
        .fill("4000002500003155")
    )
    await page.get_by_test_id("pay-button").click()
    await page.get_by_role("button", name="Complete authentication").click()
    done = page.get_by_test_id("order-confirmation")
    await expect(done).to_be_visible()
    await expect(done).to_contain_text("₩39,000")
    await expect(error).to_be_hidden()
    await expect(page.get_by_test_id("stock-left")).to_have_text("1개 남음")
