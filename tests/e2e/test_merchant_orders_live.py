"""The merchant's orders page is live: an order paid while it is open appears at the top
of the table at once, on a phone, without a reload (it used to say "아직 주문이
없습니다." until the merchant reloaded)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from checkout.reserving import LineRequest, Shipping
from server import keys
from server.accounts.models import User
from server.localstripe_process import localstripe_settings
from server.settings import Settings
from tests.conftest import base_settings
from tests.e2e.conftest import LiveServer
from tests.e2e.test_chat_live import sign_in
from tests.helpers import live_show_with_pinned_product
from tests.localstripe import TEST_CARDS, card_token, localstripe_url

pytestmark = pytest.mark.e2e
WAIT_MS = 15_000  # for what the socket brings: the machine is shared
__all__ = ["localstripe_url"]


@pytest.fixture
def live_settings(tmp_path: Path, live_port: int, localstripe_url: str) -> Settings:
    settings = base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}").with_(
        port=live_port, public_url=f"http://127.0.0.1:{live_port}"
    )
    return localstripe_settings(settings, localstripe_url)


async def _buy(
    server: LiveServer, stripe: str, shopper: User, show_id: int, product_id: int
) -> int:
    checkout = server.app[keys.checkout]
    order = await checkout.place_order(
        shopper,
        show_id,
        [LineRequest(product_id=product_id, quantity=1)],
        Shipping(name="김민수", phone="010-1234-5678", postcode="04001", address="서울 마포구 1"),
    )
    await checkout.pay(shopper, order.id, await card_token(stripe, TEST_CARDS["success"]))
    return order.id


async def test_an_order_paid_while_the_orders_page_is_open_appears_at_once(
    live_server: LiveServer, page: Page, localstripe_url: str
) -> None:
    app = live_server.app
    sale = await live_show_with_pinned_product(
        app,
        store_name="할매 반찬가게",
        shopper_name="장보기 민수",
        title="김장 라이브",
        product_name="김장 김치 2kg",
        price=29000,
        stock=3,
    )
    merchant, shopper, show, product = sale.merchant, sale.shopper, sale.show, sale.product

    await sign_in(page, live_server, merchant)
    await page.goto(f"{live_server.url}/merchant/orders")
    table = page.get_by_test_id("orders")
    await expect(table).to_contain_text("아직 주문이 없습니다.")
    # The page is in its store's staff room before anything is paid.
    await expect(page.get_by_test_id("orders-live")).to_be_visible(timeout=WAIT_MS)

    first = await _buy(live_server, localstripe_url, shopper, show.id, product.id)
    rows = page.get_by_test_id("order-row")
    await expect(rows).to_have_count(1, timeout=WAIT_MS)
    await expect(rows.first).to_contain_text(f"#{first}")
    await expect(rows.first).to_contain_text("김장 김치 2kg × 1")
    await expect(rows.first).to_contain_text("김민수")  # the merchant needs the address
    await expect(table).not_to_contain_text("아직 주문이 없습니다.")
    # The row is the table's own: its actions work as after a reload.
    await expect(rows.first.get_by_role("button", name="상품 준비 시작")).to_be_visible()

    # The next one goes on top; nothing is listed twice.
    second = await _buy(live_server, localstripe_url, shopper, show.id, product.id)
    await expect(rows).to_have_count(2, timeout=WAIT_MS)
    await expect(rows.first).to_contain_text(f"#{second}")
    await page.screenshot(path="/tmp/shots/merchant-orders-live.png", full_page=True)
    await page.reload()
    await expect(rows).to_have_count(2)

    # The console's feed of the live show hears the store's orders on the same room.
    await page.goto(f"{live_server.url}/merchant")
    feed = page.get_by_test_id(f"console-feed-{show.id}")
    await expect(feed).to_contain_text("주문 2건", timeout=WAIT_MS)
    await _buy(live_server, localstripe_url, shopper, show.id, product.id)
    await expect(feed).to_contain_text("주문 3건", timeout=WAIT_MS)
