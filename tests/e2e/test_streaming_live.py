"""A creator goes live from the studio with Chromium's fake camera; a shopper's phone
watches: the player decodes frames, the studio counts the viewer, ending the show tells
the viewer."""

from __future__ import annotations

import aiohttp
import pytest
from aiortc import RTCSessionDescription
from playwright.async_api import Browser, Page, expect

from server.accounts.models import Role
from tests.e2e.conftest import LiveServer
from tests.helpers import PASSWORD, make_merchant, make_show, make_user
from tests.streaming.peers import SDP, Publisher

pytestmark = pytest.mark.e2e

FRAMES_DECODED = """async (root) => {
  const pc = root.peerConnection;
  if (!pc) return 0;
  let frames = 0;
  (await pc.getStats()).forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "video") frames = r.framesDecoded || 0;
  });
  return frames;
}"""


async def _frames_decoded(page: Page) -> int:
    frames: int = await page.get_by_test_id("player").evaluate(FRAMES_DECODED)
    return frames


async def _wait_for_frames(page: Page, at_least: int) -> int:
    for _ in range(150):
        frames = await _frames_decoded(page)
        if frames >= at_least:
            return frames
        await page.wait_for_timeout(100)
    raise AssertionError(f"the player decoded {await _frames_decoded(page)} frames")


async def test_creator_goes_live_and_a_viewer_sees_the_picture(
    live_server: LiveServer, browser: Browser, page: Page
) -> None:
    creator = await make_user(live_server.app, Role.CREATOR, name="라이브 지수")
    _, store = await make_merchant(live_server.app, "망원 반찬")
    show = await make_show(live_server.app, store, [creator], title="김장 라이브")

    # A shopper's phone opens the show page before it starts.
    viewer_context = await browser.new_context(
        locale="ko-KR", viewport={"width": 390, "height": 844}, timezone_id="Asia/Seoul"
    )
    viewer = await viewer_context.new_page()
    try:
        await viewer.goto(f"{live_server.url}/shows/{show.id}")
        await expect(viewer.get_by_test_id("player-notice")).to_contain_text("곧 시작해요")

        # The creator signs in, opens the studio and goes live.
        page.on("dialog", lambda dialog: dialog.accept())
        await page.goto(f"{live_server.url}/login?next=/studio/shows/{show.id}")
        await page.get_by_label("이메일").fill(creator.email)
        await page.get_by_label("비밀번호").fill(PASSWORD)
        await page.get_by_role("button", name="로그인").click()
        await expect(page.get_by_test_id("studio-stream")).to_be_visible()
        await expect(page.get_by_test_id("camera")).not_to_be_empty()
        await page.get_by_test_id("go-live").click()
        await expect(page.get_by_test_id("on-air")).to_be_visible()
        await expect(page.get_by_test_id("studio-status")).to_have_text("라이브 중이에요.")

        # The waiting viewer starts playing by itself.
        first = await _wait_for_frames(viewer, 10)
        later = await _wait_for_frames(viewer, first + 15)
        assert later > first
        await expect(viewer.get_by_test_id("player-notice")).to_be_hidden()
        width = await viewer.get_by_test_id("player-video").evaluate("v => v.videoWidth")
        assert width > 0
        await expect(viewer.get_by_test_id("unmute")).to_be_visible()
        await viewer.get_by_test_id("unmute").click()
        assert await viewer.get_by_test_id("player-video").evaluate("v => v.muted") is False

        # The studio counts the viewer and shows the outgoing quality.
        await expect(page.get_by_test_id("viewer-count")).to_have_text("1", timeout=10_000)
        await expect(page.get_by_test_id("fps")).to_contain_text("fps")
        await expect(page.get_by_test_id("bitrate")).to_contain_text("kbit/s")

        # The creator's page reloads (the publisher drops): the viewer is told, and
        # plays again on the same connection when the creator is back.
        await page.reload()
        await expect(viewer.get_by_test_id("player-notice")).to_contain_text(
            "다시 연결하는 중", timeout=10_000
        )
        before = await _frames_decoded(viewer)
        await page.get_by_test_id("go-live").click()
        await expect(page.get_by_test_id("on-air")).to_be_visible()
        await _wait_for_frames(viewer, before + 15)
        await expect(viewer.get_by_test_id("player-notice")).to_be_hidden()

        # Ending the show tells the viewer.
        await page.get_by_test_id("end-show").click()
        await expect(page.get_by_test_id("studio-status")).to_have_text("방송이 끝났어요.")
        await expect(viewer.get_by_test_id("player-notice")).to_have_text(
            "방송이 끝났어요.", timeout=10_000
        )
    finally:
        await viewer_context.close()


# How much of the picture's width and height the <video> element shows, given its
# object-fit (`cover` crops the picture to fill the box, `contain` shows all of it).
SHOWN_FRACTION = """v => {
  const fit = getComputedStyle(v).objectFit;
  const sx = v.clientWidth / v.videoWidth, sy = v.clientHeight / v.videoHeight;
  const scale = fit === "cover" ? Math.max(sx, sy) : Math.min(sx, sy);
  const shown = x => Math.round(Math.min(1, x) * 100) / 100;
  return {width: shown(v.clientWidth / (v.videoWidth * scale)),
          height: shown(v.clientHeight / (v.videoHeight * scale))};
}"""


async def test_a_landscape_encoder_is_shown_whole_on_a_phone(
    live_server: LiveServer, browser: Browser
) -> None:
    creator = await make_user(live_server.app, Role.CREATOR)
    _, store = await make_merchant(live_server.app, "망원 반찬")
    show = await make_show(live_server.app, store, [creator], title="가로 화면 라이브")
    # An OBS-like encoder sending a 4:3 landscape picture over WHIP.
    encoder = Publisher()
    try:
        async with aiohttp.ClientSession() as http:
            resp = await http.post(
                f"{live_server.url}/shows/{show.id}/whip",
                data=await encoder.offer(),
                headers={"Content-Type": SDP, "Authorization": f"Bearer {show.stream_key}"},
            )
            assert resp.status == 201
            answer = RTCSessionDescription(sdp=await resp.text(), type="answer")
            await encoder.pc.setRemoteDescription(answer)

        context = await browser.new_context(
            locale="ko-KR", viewport={"width": 390, "height": 844}, timezone_id="Asia/Seoul"
        )
        phone = await context.new_page()
        await phone.goto(f"{live_server.url}/shows/{show.id}")
        await _wait_for_frames(phone, 10)
        video = phone.get_by_test_id("player-video")
        assert await video.evaluate("v => v.videoWidth > v.videoHeight")
        assert await video.evaluate(SHOWN_FRACTION) == {"width": 1, "height": 1}
        await context.close()
    finally:
        await encoder.close()
