"""A shopper opens an ended show: the recording plays, a timeline entry seeks to the
pinned product's moment, and the chat of that moment appears."""

from __future__ import annotations

import fractions
from pathlib import Path

import av
import pytest
from playwright.async_api import Page, expect

from chat.models import ChatMessage
from server import keys
from server.analytics.models import ShowEvent
from server.shows import service as shows
from streaming.recording import recording_path
from tests.e2e.conftest import LiveServer
from tests.helpers import make_merchant, make_show, make_user

pytestmark = pytest.mark.e2e


def write_test_recording(path: Path, seconds: int = 8) -> None:
    """A small real VP8 WebM, like the ones the streaming package records."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(seconds * 10):
            frame = av.VideoFrame(160, 120, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([(i * 3) % 255]) * plane.buffer_size)
            frame.pts, frame.time_base = i, fractions.Fraction(1, 10)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


async def test_replay_timeline_seeks_and_chat_follows(live_server: LiveServer, page: Page) -> None:
    app = live_server.app
    _, store = await make_merchant(app, "나무결 공방")
    show = await make_show(app, store, title="도마 라이브 다시보기")
    shopper = await make_user(app, name="민수")
    async with app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show.id, "start")
        session.add(
            ShowEvent(
                show_id=show.id,
                kind="product:pinned",
                offset_ms=5_000,
                payload={"product": {"id": 1, "name": "원목 도마"}},
            )
        )
        session.add(
            ChatMessage(
                key=f"r{show.id}-1",
                show_id=show.id,
                user_id=shopper.id,
                author_name="민수",
                badge="shopper",
                body="도마 크기가 어떻게 되나요?",
                offset_ms=5_500,
            )
        )
        session.add(
            ChatMessage(
                key=f"r{show.id}-2",
                show_id=show.id,
                user_id=shopper.id,
                author_name="민수",
                badge="shopper",
                body="<img src=x onerror=alert(1)>",
                offset_ms=6_000,
            )
        )
        await shows.system_transition(session, show.id, "end")
    write_test_recording(recording_path(app[keys.settings].data_dir, show.id))

    await page.goto(f"{live_server.url}/shows/{show.id}")
    video = page.get_by_test_id("replay-video")
    await expect(video).to_be_visible()
    await page.wait_for_function(
        "document.querySelector('[data-testid=replay-video]').readyState >= 1"
    )
    chat = page.get_by_test_id("replay-chat")
    await expect(chat).not_to_contain_text("도마 크기")

    await page.get_by_test_id("seek").first.click()
    position = await video.evaluate("v => v.currentTime")
    assert position >= 4.9  # at the pin (5 s), perhaps a little further if it played
    await expect(chat).to_contain_text("도마 크기가 어떻게 되나요?", timeout=10_000)
    await expect(chat).to_contain_text("<img src=x onerror=alert(1)>")  # inert text
    assert await page.locator(".replay-messages img").count() == 0

    # A receipt's link to the moment of purchase lands there.
    await page.goto(f"{live_server.url}/shows/{show.id}?t=6")
    await page.wait_for_function(
        "document.querySelector('[data-testid=replay-video]').currentTime >= 5.9"
    )
    await expect(page.get_by_test_id("replay-chat")).to_contain_text("도마 크기가")
