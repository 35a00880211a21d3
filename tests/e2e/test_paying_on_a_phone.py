"""Paying in the bottom sheet on a phone, when things go wrong: every error is in the
shopper's language and says what to do; a card number typed with spaces is taken as
typed; the sheet stays usable (its close button, the whole error, no pill above the
3-D Secure dialog)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from server.localstripe_process import localstripe_settings
from server.settings import Settings
from tests.conftest import base_settings
from tests.e2e.conftest import LiveServer
from tests.e2e.test_checkout_journey import fill_sheet, sign_in
from tests.helpers import live_show_with_pinned_product
from tests.localstripe import localstripe_url

pytestmark = pytest.mark.e2e
__all__ = ["localstripe_url"]


@pytest.fixture
def live_settings(tmp_path: Path, live_port: int, localstripe_url: str) -> Settings:
    settings = base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}").with_(
        port=live_port, public_url=f"http://127.0.0.1:{live_port}"
    )
    return localstripe_settings(settings, localstripe_url)


async def _live_show_with_a_pin(live_server: LiveServer) -> tuple[int, str]:
    app = live_server.app
    sale = await live_show_with_pinned_product(
        app,
        store_name="나무결 공방",
        shopper_name="박서연",
        title="도마 라이브",
        product_name="원목 도마",
        price=39000,
        stock=5,
    )
    return sale.show.id, sale.shopper.email


async def _pay_again(page: Page) -> None:
    """After a confirmed order: close the sheet and buy once more."""
    await page.locator(".sheet-close").click()
    await page.get_by_test_id("buy-button").click()


async def test_payment_errors_say_what_to_do_in_korean(live_server: LiveServer, page: Page) -> None:
    show_id, email = await _live_show_with_a_pin(live_server)
    await sign_in(page, live_server.url, email, f"/shows/{show_id}")
    error = page.get_by_test_id("checkout-error")

    # Typed as printed on the card, with spaces: it pays.
    await page.get_by_test_id("buy-button").click()
    await fill_sheet(page, "4242 4242 4242 4242")
    await page.get_by_test_id("pay-button").click()
    await expect(page.get_by_test_id("order-confirmation")).to_be_visible()

    # Digits missing: the details cannot be read, and the shopper is told what to check.
    await _pay_again(page)
    await fill_sheet(page, "4242 4242 4242")
    await page.get_by_test_id("pay-button").click()
    await expect(error).to_contain_text("카드 정보를 읽을 수 없습니다")
    await expect(error).to_contain_text("카드 번호, 유효기간, 보안코드를 확인")
    await expect(error).not_to_contain_text("Bad request")

    # The bank's check fails: no money was taken, try again.
    await fill_sheet(page, "4000 0025 0000 3155")
    await page.get_by_test_id("pay-button").click()
    await page.get_by_role("button", name="Fail authentication").click()
    await expect(error).to_contain_text("본인 인증이 완료되지 않았습니다")
    text = await error.inner_text()
    assert not any(word in text for word in ("authenticate", "payment_intent", "Bad request"))

    # A declined card says so, in Korean.
    await fill_sheet(page, "4000 0000 0000 0341")
    await page.get_by_test_id("pay-button").click()
    await expect(error).to_contain_text("카드 결제가 거절되었습니다")


# Whether a tap at the middle of `el` reaches it, and whether it lies wholly in the sheet.
TAP_REACHES = """el => {
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit === el || el.contains(hit);
}"""
DIALOG_ON_TOP = """d => {
  const r = d.getBoundingClientRect();
  for (let i = 1; i < 10; i++) for (let j = 1; j < 10; j++) {
    const hit = document.elementFromPoint(r.left + r.width * i / 10, r.top + r.height * j / 10);
    if (!d.contains(hit)) return false;
  }
  return true;
}"""
INSIDE_SHEET = """el => {
  const sheet = document.querySelector('[data-testid=checkout-sheet]').getBoundingClientRect();
  const r = el.getBoundingClientRect();
  return r.left >= sheet.left - 1 && r.right <= sheet.right + 1
    && r.top >= sheet.top - 1 && r.bottom <= sheet.bottom + 1 && r.height > 0;
}"""


async def test_the_sheet_stays_usable_on_a_phone(live_server: LiveServer, page: Page) -> None:
    show_id, email = await _live_show_with_a_pin(live_server)
    await sign_in(page, live_server.url, email, f"/shows/{show_id}")
    await page.get_by_test_id("buy-button").click()
    sheet = page.get_by_test_id("checkout-sheet")
    await fill_sheet(page, "4000 0000 0000 0341")
    # Down at the card fields, the close button is still there to tap.
    await sheet.evaluate("s => { s.scrollTop = s.scrollHeight; }")
    close = page.locator(".sheet-close")
    assert await close.evaluate(INSIDE_SHEET)
    assert await close.evaluate(TAP_REACHES)

    # The decline message is read whole, not cut at the sheet's edge.
    await page.get_by_test_id("pay-button").click()
    error = page.get_by_test_id("checkout-error")
    await expect(error).to_contain_text("카드 결제가 거절되었습니다")
    assert await error.evaluate(INSIDE_SHEET)
    assert await error.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert await sheet.evaluate("s => s.scrollWidth <= s.clientWidth")

    # The video plays muted (its pill shows) when the bank's check opens over the page:
    # nothing of the stage floats above the dialog's buttons.
    await page.get_by_test_id("unmute").evaluate("b => { b.hidden = false; }")
    await (
        page.get_by_test_id("card-element")
        .locator('input[placeholder="number"]')
        .fill("4000 0025 0000 3155")
    )
    await page.get_by_test_id("pay-button").click()
    for name in ("Complete authentication", "Fail authentication"):
        button = page.get_by_role("button", name=name)
        await expect(button).to_be_visible()
        assert await button.evaluate(TAP_REACHES), name
    # Every point of the dialog (its question too) shows the dialog.
    dialog = page.get_by_role("button", name="Complete authentication").locator("..")
    assert await dialog.evaluate(DIALOG_ON_TOP)
    await page.get_by_role("button", name="Complete authentication").click()
    await expect(page.get_by_test_id("order-confirmation")).to_be_visible()
