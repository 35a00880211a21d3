"""A newcomer's first look after `make run`, on a phone (390×844): the home page shows
the demo show live with real covers on every card, the demo show plays and says it is a
demo, the finished demo show's recording loads, and the store page's shows keep their
distance from the refund policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from server.demo_showcase import LIVE_TITLE, REPLAY_SECONDS, REPLAY_TITLE
from server.settings import Settings
from tests.conftest import base_settings
from tests.demo_seeding import seed_demo
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e


@pytest.fixture
async def live_settings(tmp_path: Path, live_port: int) -> Settings:
    """The demo database and media, seeded before the server starts, as `make run` does."""
    settings = base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}").with_(
        port=live_port, public_url=f"http://127.0.0.1:{live_port}", demo_publisher=True
    )
    await seed_demo(settings)
    return settings


async def _covers_loaded(page: Page) -> int:
    """Every show card's cover, scrolled to (they load lazily), has a picture."""
    covers = await page.query_selector_all(".show-card .cover img")
    for cover in covers:
        await cover.scroll_into_view_if_needed()
        await page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=cover)
    return len(covers)


async def test_a_newcomer_finds_the_demo_live_with_covers_on_a_phone(
    live_server: LiveServer, page: Page
) -> None:
    await page.goto(live_server.url + "/")
    live_shelf = page.get_by_test_id("shelf-live")
    card = live_shelf.get_by_test_id("show-card").filter(has_text=LIVE_TITLE)
    await expect(card).to_be_visible()
    await expect(card.locator(".badge.live")).to_be_visible()
    await expect(card.get_by_test_id("demo-badge")).to_have_text("데모")
    assert await page.locator(".cover-blank").count() == 0
    assert await _covers_loaded(page) >= 5

    await card.click()
    await expect(page.get_by_test_id("demo-notice")).to_contain_text("데모 방송")
    await expect(page.get_by_test_id("show-state")).to_have_text("라이브")
    await page.wait_for_function(
        "() => { const v = document.querySelector('video');"
        " return v && v.videoWidth > 0 && v.currentTime > 0.5; }",
        timeout=60_000,
    )

    await page.goto(live_server.url + "/")
    await page.get_by_test_id("shelf-recent").get_by_text(REPLAY_TITLE).click()
    await expect(page.get_by_test_id("replay-video")).to_be_attached()
    duration = await page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=replay-video] video, "
        "video[data-testid=replay-video]'); return v && v.duration > 0 && v.duration; }"
    )
    assert abs(float(await duration.json_value()) - REPLAY_SECONDS) < 2


async def test_the_store_page_keeps_its_shows_off_the_refund_policy(
    live_server: LiveServer, page: Page
) -> None:
    await page.goto(live_server.url + "/stores/halmae-banchan")
    past = page.get_by_test_id("store-past-shows")
    await expect(past).to_be_visible()
    assert await _covers_loaded(page) >= 3
    photos = page.locator(".product-tile img")
    await expect(photos).to_have_count(3)
    for photo in await photos.element_handles():
        await page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo)
    last_card = past.get_by_test_id("show-card").last
    policy = page.get_by_test_id("refund-policy")
    await policy.scroll_into_view_if_needed()
    card_box, policy_box = await last_card.bounding_box(), await policy.bounding_box()
    assert card_box is not None and policy_box is not None
    assert policy_box["y"] - (card_box["y"] + card_box["height"]) >= 16
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390
