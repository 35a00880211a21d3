"""On a phone: the replay names the seller and the platform's role, and a shopper
reports the moment they are watching; the operator's queue links back to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from checkout.models import Order, OrderLine, OrderStatus, Product
from server import keys
from server.accounts.models import Role
from server.db import utcnow
from server.shows import service as shows
from server.trust.models import ShowReport
from streaming.recording import recording_path
from tests.e2e.conftest import LiveServer
from tests.e2e.test_replay_journey import write_test_recording
from tests.helpers import PASSWORD, make_show, make_store, make_user

pytestmark = pytest.mark.e2e


async def _sign_in(page: Page, url: str, email: str, then: str) -> None:
    await page.goto(f"{url}/login?next={then}")
    await page.get_by_label("이메일").fill(email)
    await page.get_by_label("비밀번호").fill(PASSWORD)
    await page.get_by_role("button", name="로그인").click()


async def test_a_shopper_reports_a_replay_moment_from_a_phone(
    live_server: LiveServer, page: Page, browser: Browser
) -> None:
    app = live_server.app
    store = await make_store(app, "나무결 공방")
    show = await make_show(app, store, title="도마 라이브 다시보기")
    shopper = await make_user(app, name="민수")
    operator = await make_user(app, Role.OPERATOR)
    async with app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show.id, "start")
        await shows.system_transition(session, show.id, "end")
    write_test_recording(recording_path(app[keys.settings].data_dir, show.id))

    await _sign_in(page, live_server.url, shopper.email, "/")
    await expect(page.get_by_test_id("who")).to_have_text("민수")
    await page.goto(f"{live_server.url}/shows/{show.id}?t=6")
    # A loaded machine may take a while to fetch the recording's metadata.
    await page.wait_for_function(
        "document.querySelector('[data-testid=replay-video]').currentTime >= 5.9",
        timeout=60_000,
    )
    await page.get_by_test_id("replay-video").evaluate("v => v.pause()")
    seller = page.get_by_test_id("seller-identity")
    await expect(seller).to_contain_text("사업자등록번호")
    await expect(seller.get_by_test_id("seller-name")).to_have_text("나무결 공방")
    await expect(page.get_by_test_id("intermediary")).to_contain_text("통신판매중개자")
    wide = await page.evaluate("document.scrollingElement.scrollWidth")
    assert wide <= 390  # nothing spills sideways on the phone

    await page.get_by_test_id("report-show").locator("summary").click()
    await page.get_by_test_id("report-false_advertising").check()
    await page.get_by_label("무엇을 보거나 들었나요? (선택)").fill(
        "국산이라더니 원산지 표시가 없어요"
    )
    await page.get_by_test_id("send-report").click()
    await expect(page.get_by_test_id("reported")).to_be_visible()
    async with app[keys.sessionmaker]() as session:
        report = await session.scalar(select(ShowReport))
    assert report is not None and report.during_replay
    assert report.offset_seconds is not None and 5 <= report.offset_seconds <= 8

    context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    try:
        ops = await context.new_page()
        await _sign_in(ops, live_server.url, operator.email, "/ops/reports")
        item = ops.get_by_test_id(f"report-{report.id}")
        await expect(item).to_contain_text("거짓·과장 광고")
        await expect(item).to_contain_text("원산지 표시가 없어요")
        await ops.get_by_test_id(f"report-moment-{report.id}").click()
        await ops.wait_for_function(
            "document.querySelector('[data-testid=replay-video]').currentTime >= 4.9",
            timeout=60_000,
        )
    finally:
        await context.close()


async def test_a_shopper_withdraws_from_a_phone_and_reads_the_refusal(
    live_server: LiveServer, page: Page, browser: Browser, tmp_path: Path
) -> None:
    app = live_server.app
    store = await make_store(app, "할매 반찬가게")
    merchant = await make_user(app, Role.MERCHANT, store_id=store.id)
    shopper = await make_user(app, name="민수")
    async with app[keys.sessionmaker].begin() as session:
        product = Product(store_id=store.id, name="김장 김치 2kg", price=15000, stock=5)
        session.add(product)
        await session.flush()
        order = Order(
            user_id=shopper.id,
            store_id=store.id,
            status=OrderStatus.DELIVERED,
            total=15000,
            reserved_until=utcnow(),
            recipient_name="민수",
            phone="010-1111-2222",
            postcode="04001",
            address="서울 마포구 망원로 1",
            paid_at=utcnow(),
            delivered_at=utcnow(),
            payment_intent_id="pi_phone",
        )
        order.lines = [
            OrderLine(
                product_id=product.id, quantity=1, unit_price=15000, product_name="김장 김치 2kg"
            )
        ]
        session.add(order)
    photo = tmp_path / "box.jpg"
    Image.new("RGB", (800, 600), (160, 40, 40)).save(photo, "JPEG")

    await _sign_in(page, live_server.url, shopper.email, f"/orders/{order.id}")
    await page.get_by_test_id("withdrawal-link").click()
    await page.get_by_label("청약철회 이유가 무엇인가요?").fill(
        "상자가 젖어서 왔어요. 사진 보냅니다."
    )
    await page.get_by_label("사진 (3장까지)").set_input_files(photo)
    await page.get_by_test_id("withdraw").click()
    await expect(page.get_by_test_id("withdrawal-state")).to_have_text("가게 답변 대기 중")
    await expect(page.get_by_role("img", name="사진 1")).to_be_visible()
    assert await page.evaluate("document.scrollingElement.scrollWidth") <= 390

    context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    try:
        shop = await context.new_page()
        await _sign_in(shop, live_server.url, merchant.email, "/merchant/withdrawals")
        await expect(shop.get_by_text("상자가 젖어서 왔어요")).to_be_visible()
        card = shop.locator("article[data-testid^=withdrawal-]")
        await card.get_by_label("법이 허용하는 거절 사유").select_option("damaged_by_consumer")
        await card.get_by_label("확인한 내용 (고객이 읽습니다)").fill(
            "포장을 뜯고 물에 담근 흔적이 있습니다."
        )
        await card.get_by_role("button", name="거절").click()
        await expect(shop.get_by_text("물에 담근 흔적")).to_be_visible()
    finally:
        await context.close()

    await page.reload()
    await expect(page.get_by_test_id("refusal")).to_contain_text("소비자에게 책임 있는 사유")
    await expect(page.get_by_test_id("refusal")).to_contain_text("물에 담근 흔적")
