"""A shopper replays an ended show on a phone: the video's controls stay clear of the
pinned card, the card shows what was pinned at the video's moment, the timeline lists
each pin once, a receipt's link lands at its moment every time, and a show without a
recording says so instead of showing an empty player."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import Page, expect

from checkout import catalog
from server import keys
from server.analytics.models import ShowEvent
from server.shows import service as shows
from streaming.recording import recording_path
from tests.e2e.conftest import LiveServer
from tests.e2e.test_replay_journey import write_test_recording
from tests.helpers import make_merchant, make_show

pytestmark = pytest.mark.e2e

# What a tap on the video's bottom strip (play button, seek bar, time) must reach.
HIT_AT_BOTTOM = """v => {
  const box = v.getBoundingClientRect();
  const xs = [box.left + 20, box.left + box.width / 2, box.right - 20];
  return xs.map((x) => document.elementFromPoint(x, box.bottom - 24) === v);
}"""


async def _ended_show_with_two_pins(live_server: LiveServer) -> int:
    app = live_server.app
    merchant, store = await make_merchant(app, "나무결 공방")
    show = await make_show(
        app, store, title="도마 다시보기", start=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    )
    async with app[keys.sessionmaker].begin() as session:
        board, spoon = [
            await catalog.create_product(
                session, merchant, store.id, catalog.ProductInput(name=name, price=price, stock=5)
            )
            for name, price in (("원목 도마", 39000), ("나무 수저", 12000))
        ]
        live_show = await shows.get_show(session, show.id)
        await shows.transition(session, merchant, live_show, "start")
        for product in (board, spoon):
            await catalog.add_to_lineup(session, merchant, live_show, product.id)
        # The spoon was the last product pinned when the show ended.
        await catalog.pin(session, merchant, live_show, spoon.id)
        for offset, product in ((2_000, board), (2_000, board), (5_000, spoon)):
            session.add(
                ShowEvent(
                    show_id=show.id,
                    kind="product:pinned",
                    offset_ms=offset,
                    payload={"product": {"id": product.id, "name": product.name}},
                )
            )
        await shows.system_transition(session, show.id, "end")
    write_test_recording(recording_path(app[keys.settings].data_dir, show.id))
    return show.id


async def test_replay_card_follows_the_video_and_leaves_its_controls_clear(
    live_server: LiveServer, page: Page
) -> None:
    show_id = await _ended_show_with_two_pins(live_server)
    await page.goto(f"{live_server.url}/shows/{show_id}")
    video = page.get_by_test_id("replay-video")
    await page.wait_for_function(
        "document.querySelector('[data-testid=replay-video]').readyState >= 1"
    )
    # The pin sent twice at 0:02 is listed once.
    await expect(page.get_by_test_id("seek")).to_have_count(2)

    await page.get_by_test_id("seek").first.click()
    await video.evaluate("v => v.pause()")
    card = page.get_by_test_id("pinned-product")
    await expect(card).to_contain_text("원목 도마")  # pinned at 0:02, not the last pin
    await expect(card).to_contain_text("₩39,000")
    # The card is over the video, and the controls' strip is the video's own.
    assert await video.evaluate(HIT_AT_BOTTOM) == [True, True, True]

    await page.get_by_test_id("seek").nth(1).click()
    await video.evaluate("v => v.pause()")
    await expect(card).to_contain_text("나무 수저")
    await video.evaluate("v => { v.currentTime = 0.5; }")
    await expect(card).to_be_hidden()  # nothing was pinned yet at 0:00


async def test_receipt_link_lands_at_its_moment_every_time(
    live_server: LiveServer, page: Page
) -> None:
    show_id = await _ended_show_with_two_pins(live_server)
    for _ in range(5):
        await page.goto(f"{live_server.url}/shows/{show_id}?t=6")
        await page.wait_for_function(
            "document.querySelector('[data-testid=replay-video]').currentTime >= 5.9"
        )
        await expect(page.get_by_test_id("pinned-product")).to_contain_text("나무 수저")


async def test_a_show_without_a_recording_says_so(live_server: LiveServer, page: Page) -> None:
    app = live_server.app
    _, store = await make_merchant(app, "할매 반찬가게")
    show = await make_show(app, store, title="녹화 없는 방송")
    async with app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show.id, "start")
        await shows.system_transition(session, show.id, "end")
    for _ in range(3):
        await page.goto(f"{live_server.url}/shows/{show.id}")
        await expect(page.get_by_test_id("replay-missing")).to_have_text(
            "이 방송의 녹화본이 없습니다."
        )
        await expect(page.get_by_test_id("replay-video")).to_be_hidden()
