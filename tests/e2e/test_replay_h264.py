"""An H.264 show (OBS, hardware encoders) is recorded to MP4 by the same recorder the
live path uses, and its replay plays in the browser on a phone."""

from __future__ import annotations

import fractions

import av
import pytest
from playwright.async_api import Page, expect

from server import keys
from server.shows import service as shows
from streaming.fanout import SharedFrame
from streaming.recording import Recorder
from tests.e2e.conftest import LiveServer
from tests.helpers import make_merchant, make_show

pytestmark = pytest.mark.e2e


def record_h264_show(recorder: Recorder, seconds: int = 4) -> None:
    """Feed the recorder what an H.264 publisher sends: Annex B access units at 30 fps
    (a keyframe every second) and 20 ms Opus packets."""
    video = av.CodecContext.create("libx264", "w")
    video.width, video.height, video.pix_fmt = 320, 180, "yuv420p"
    video.time_base = fractions.Fraction(1, 30)
    video.gop_size = 30
    video.options = {"tune": "zerolatency", "preset": "ultrafast"}
    audio = av.CodecContext.create("libopus", "w")
    audio.sample_rate, audio.layout, audio.format = 48_000, "stereo", "s16"
    recorder.expect_audio(True)
    sent_audio = 0
    for i in range(seconds * 30):
        picture = av.VideoFrame(320, 180, "yuv420p")
        picture.planes[0].update(bytes([(i * 7) % 256]) * picture.planes[0].buffer_size)
        picture.pts = i
        for packet in video.encode(picture):
            frame = SharedFrame((), i * 3000, packet.is_keyframe, "H264")
            recorder.on_video("H264", frame, bytes(packet))
        while sent_audio * 20 <= i * 1000 // 30:
            sound = av.AudioFrame(format="s16", layout="stereo", samples=960)
            sound.planes[0].update(bytes(960 * 4))
            sound.sample_rate, sound.pts = 48_000, sent_audio * 960
            for packet in audio.encode(sound):
                frame = SharedFrame((), sent_audio * 960, True, "opus")
                recorder.on_audio("opus", frame, bytes(packet))
            sent_audio += 1
    recorder.close()


async def test_an_h264_replay_plays_on_a_phone(live_server: LiveServer, page: Page) -> None:
    app = live_server.app
    _, store = await make_merchant(app, "망원 반찬")
    show = await make_show(app, store, title="OBS로 한 방송")
    async with app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show.id, "start")
        await shows.system_transition(session, show.id, "end")
    recorder = Recorder(app[keys.settings].data_dir, show.id)
    record_h264_show(recorder)
    assert recorder.path.suffix == ".mp4"

    await page.goto(f"{live_server.url}/shows/{show.id}")
    video = page.get_by_test_id("replay-video")
    await expect(video).to_be_visible()
    await page.wait_for_function(
        "document.querySelector('[data-testid=replay-video]').readyState >= 2"
    )
    assert await video.evaluate("v => v.videoWidth") == 320
    await video.evaluate("v => { v.muted = true; return v.play(); }")
    await page.wait_for_function(
        "document.querySelector('[data-testid=replay-video]').currentTime > 0.5"
    )
