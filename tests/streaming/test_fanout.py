"""The fan-out rules on their own: keyframe starts, slow viewers, coalesced requests."""

from __future__ import annotations

import asyncio
import fractions

import av
import pytest
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from streaming import aiortc_hooks
from streaming.fanout import Fanout, KeyframeRequests, SharedFrame, ViewerFeed, is_keyframe
from streaming.recording import vp8_size

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)


def _vp8_frames(count: int) -> list[bytes]:
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 64, 48, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 30)
    out: list[bytes] = []
    for i in range(count):
        frame = av.VideoFrame(64, 48, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([i * 9 % 256]) * plane.buffer_size)
        frame.pts = i
        out += [bytes(p) for p in encoder.encode(frame)]
    return out


def _frame(ts: int, key: bool) -> SharedFrame:
    return SharedFrame((b"x",), ts, key)


def test_vp8_keyframes_are_recognised_and_sized() -> None:
    first, second = _vp8_frames(2)
    assert is_keyframe("VP8", first) and not is_keyframe("VP8", second)
    assert vp8_size(first) == (64, 48)
    assert vp8_size(second) is None


async def test_a_new_video_viewer_starts_at_a_keyframe() -> None:
    requests: list[int] = []
    feed = ViewerFeed("video", lambda: requests.append(1))
    feed.offer(_frame(1, False))
    feed.offer(_frame(2, False))
    assert feed.pending == 0
    feed.offer(_frame(3, True))
    feed.offer(_frame(4, False))
    assert [(await feed.next_frame(VP8)).timestamp for _ in range(2)] == [3, 4]


async def test_a_slow_viewer_is_dropped_to_the_next_keyframe() -> None:
    requests: list[int] = []
    feed = ViewerFeed("video", lambda: requests.append(1))
    feed.offer(_frame(0, True))
    for ts in range(1, 100):
        feed.offer(_frame(ts, False))
    # The queue never grew past its bound, and a keyframe was asked for.
    assert feed.pending <= 30
    assert requests
    feed.offer(_frame(100, False))
    feed.offer(_frame(101, True))
    assert (await feed.next_frame(VP8)).timestamp == 101


async def test_slow_audio_keeps_only_recent_frames() -> None:
    feed = ViewerFeed("audio", lambda: None)
    for ts in range(120):
        feed.offer(_frame(ts, True))
    assert 0 < feed.pending <= 50
    assert (await feed.next_frame(VP8)).timestamp > 60


async def test_keyframe_requests_are_coalesced() -> None:
    sent: list[int] = []

    def send() -> bool:
        sent.append(1)
        return True

    requests = KeyframeRequests(send, interval=0.05)
    for _ in range(20):
        requests.request()
    assert len(sent) == 1  # the first goes out at once, the rest wait
    await asyncio.sleep(0.15)
    assert len(sent) == 2  # the waiting ones became a single request
    requests.close()


async def test_timestamps_continue_when_the_publisher_changes() -> None:
    fanout = Fanout("video", lambda: None)
    feed = fanout.subscribe()
    frames = _vp8_frames(3)
    fanout.publish("first", "VP8", frames[0], 0)
    fanout.publish("first", "VP8", frames[1], 3000)
    fanout.publish("second", "VP8", frames[0], 0)  # a new publisher starts from zero
    stamps = [(await feed.next_frame(VP8)).timestamp for _ in range(3)]
    assert stamps == [0, 3000, 6000]
    fanout.close()


def test_the_aiortc_hooks_self_test_names_what_an_upgrade_removed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aiortc_hooks.self_test()  # the locked aiortc has everything
    monkeypatch.delattr(Vp8Encoder, "_packetize")
    with pytest.raises(RuntimeError, match=r"aiortc \d+\.\d+.*Vp8Encoder\._packetize"):
        aiortc_hooks.self_test()
