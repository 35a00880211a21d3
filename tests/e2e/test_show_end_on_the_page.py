"""A shopper is watching when the show ends: the page says so at once (badge, no more
unmuting, chatting or buying the live card) and offers what still works: the replay,
their orders, the store."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from server import keys
from server.shows import service as shows
from tests.e2e.conftest import LiveServer
from tests.e2e.test_checkout_journey import sign_in
from tests.helpers import live_show_with_pinned_product

pytestmark = pytest.mark.e2e


async def test_the_live_page_follows_the_end_of_the_show(
    live_server: LiveServer, page: Page
) -> None:
    app = live_server.app
    sale = await live_show_with_pinned_product(
        app,
        store_name="할매 반찬가게",
        shopper_name="장보기 민수",
        title="김장 라이브",
        product_name="김장 김치",
        price=29000,
        stock=3,
    )
    merchant, shopper, show = sale.merchant, sale.shopper, sale.show

    await sign_in(page, live_server.url, shopper.email, f"/shows/{show.id}")
    badge = page.get_by_test_id("show-state")
    await expect(badge).to_have_text("라이브")
    await expect(page.get_by_test_id("buy-button")).to_be_visible()
    chat_input = page.get_by_test_id("chat-input")
    await expect(chat_input).to_be_visible()
    await expect(page.get_by_test_id("chat-viewers")).to_have_text("1")  # in the room
    # As when the video plays muted: the pill to unmute is up.
    await page.get_by_test_id("unmute").evaluate("b => { b.hidden = false; }")
    panel = page.get_by_test_id("ended-panel")
    await expect(panel).to_be_hidden()

    async with app[keys.sessionmaker].begin() as session:
        ended = await shows.transition(
            session, merchant, await shows.get_show(session, show.id), "end"
        )
    await shows.announce_state(app[keys.live_events], ended)

    await expect(badge).to_have_text("종료")
    await expect(panel).to_be_visible()
    await expect(panel).to_contain_text("방송이 끝났어요.")
    await expect(panel).to_contain_text("채팅은 닫혔어요")
    for gone in ("chat-input", "heart-button", "unmute", "buy-button"):
        await expect(page.get_by_test_id(gone)).to_be_hidden()
    await expect(page.get_by_test_id("chat-log")).to_be_attached()  # what was said stays

    await expect(panel.get_by_role("link", name="내 주문")).to_be_visible()
    await page.get_by_test_id("replay-offer").click()
    # The replay's page (this show streamed nothing, so it says there is no recording).
    await expect(page.get_by_test_id("replay-missing")).to_have_text("이 방송의 녹화본이 없습니다.")
    await expect(page.get_by_test_id("show-state")).to_have_text("종료")
