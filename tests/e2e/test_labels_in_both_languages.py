"""Nothing a shopper reads is an internal code, in Korean or in English: the show's badge,
order statuses, the replay timeline; and the phone's header stays one line in English."""

from __future__ import annotations

import datetime as dt

import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, expect

from checkout import catalog
from checkout.models import Order, OrderLine, OrderStatus
from server import keys
from server.accounts.models import Role, User
from server.analytics.models import ShowEvent
from server.db import utcnow
from server.shows import service as shows
from tests.e2e.conftest import LiveServer
from tests.e2e.test_checkout_journey import sign_in
from tests.helpers import make_merchant, make_show, make_user

pytestmark = pytest.mark.e2e

# Every item of the header on one row: the same top, give or take a few pixels.
HEADER_ROWS = """() => {
  const items = [document.querySelector('.brand'),
    ...document.querySelectorAll('.nav > a, .nav > span, .nav > form')];
  const tops = items.filter((e) => e.offsetParent).map((e) => {
    const box = e.getBoundingClientRect();
    return Math.round(box.top + box.height / 2);
  });
  return new Set(tops.map((t) => Math.round(t / 8))).size;
}"""
CODES = ("live", "ended", "paid", "refunded", "cancelled", "pending", "pinned", "flash sale")


async def _orders(
    app: web.Application, merchant: User, store_id: int, user_id: int, show_id: int
) -> None:
    async with app[keys.sessionmaker].begin() as session:
        product = await catalog.create_product(
            session, merchant, store_id, catalog.ProductInput(name="시래기", price=15000, stock=5)
        )
        for status in (OrderStatus.PAID, OrderStatus.REFUNDED, OrderStatus.CANCELLED):
            order = Order(
                user_id=user_id,
                store_id=store_id,
                show_id=show_id,
                status=status,
                total=15000,
                refunded_amount=15000 if status is OrderStatus.REFUNDED else 0,
                reserved_until=utcnow(),
                recipient_name="민수",
                phone="010-1234-5678",
                postcode="04001",
                address="서울 마포구 망원로 1",
            )
            order.lines = [
                OrderLine(
                    product_id=product.id, quantity=1, unit_price=15000, product_name="시래기"
                )
            ]
            session.add(order)


async def _words(page: Page, selector: str) -> set[str]:
    texts = await page.locator(selector).all_inner_texts()
    return {t.strip() for t in texts}


async def test_badges_statuses_and_timeline_are_words_in_both_languages(
    live_server: LiveServer, browser: Browser, page: Page
) -> None:
    app = live_server.app
    merchant, store = await make_merchant(app, "할매 반찬가게")
    shopper = await make_user(app, Role.SHOPPER, name="Minsu")
    live = await make_show(
        app, store, title="김장 라이브", start=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    )
    ended = await make_show(app, store, title="지난 방송")
    async with app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, live.id, "start")
        await shows.system_transition(session, ended.id, "start")
        session.add(
            ShowEvent(
                show_id=ended.id,
                kind="product:pinned",
                offset_ms=3_000,
                payload={"product": {"id": 1, "name": "시래기"}},
            )
        )
        session.add(
            ShowEvent(
                show_id=ended.id,
                kind="sale:started",
                offset_ms=30_000,
                payload={"sale": {"product_id": 1}},
            )
        )
        await shows.system_transition(session, ended.id, "end")
    await _orders(app, merchant, store.id, shopper.id, ended.id)

    await sign_in(page, live_server.url, shopper.email, "/orders")
    statuses = page.locator(".order-state")
    await expect(statuses).to_have_text(["결제 실패", "환불됨", "결제 완료"])
    await page.goto(f"{live_server.url}/shows/{live.id}")
    await expect(page.get_by_test_id("show-state")).to_have_text("라이브")

    await page.context.add_cookies([{"name": "jt_lang", "value": "en", "url": live_server.url}])
    await page.goto(f"{live_server.url}/shows/{live.id}")
    await expect(page.get_by_test_id("show-state")).to_have_text("Live")
    assert await page.evaluate(HEADER_ROWS) == 1  # 390 px wide, English, signed in
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390

    await page.goto(f"{live_server.url}/shows/{ended.id}")
    await expect(page.get_by_test_id("show-state")).to_have_text("Ended")
    timeline = page.get_by_test_id("timeline")
    await expect(timeline.locator(".badge")).to_have_text(["Product pinned", "Flash sale"])

    await page.goto(f"{live_server.url}/orders")
    await expect(statuses).to_have_text(["Payment failed", "Refunded", "Paid"])
    assert not (await _words(page, ".order-state, .badge")) & set(CODES)
    assert await page.evaluate(HEADER_ROWS) == 1
