"""A publisher goes live over WHIP and viewers watch over WHEP, through the real app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import pytest
from aiortc.sdp import SessionDescription
from pytest_aiohttp import AiohttpClient

from server import keys as server_keys
from server.accounts.models import Role
from server.events import LiveEvent
from server.settings import Settings
from server.shows.models import Show
from streaming import aiortc_hooks
from tests.helpers import AppClient, make_merchant, make_show, make_user, recorder
from tests.streaming.conftest import streaming_client
from tests.streaming.peers import Publisher, Viewer, eventually, until

# Where aiortc keeps a track's decoded pictures and a sender's encoder: looked at only
# here, to show that the server decodes and encodes nothing (an aiortc upgrade that
# renames them fails this test with an AttributeError, not silently).
_DECODED_FRAMES = "_queue"
_ENCODER = "_RTCRtpSender__encoder"


@pytest.fixture
async def peers() -> AsyncIterator[list[Any]]:
    made: list[Any] = []
    yield made
    for peer in made:
        await peer.close()


async def _show(client: AppClient) -> Show:
    creator = await make_user(client.app, Role.CREATOR)
    _, store = await make_merchant(client.app)
    return await make_show(client.app, store, [creator])


async def _state(client: AppClient, show_id: int) -> dict[str, Any]:
    resp = await client.get(f"/shows/{show_id}/stream")
    assert resp.status == 200
    data: dict[str, Any] = await resp.json()
    return data


async def test_publish_and_two_viewers_receive_the_picture(
    client: AppClient, peers: list[Any]
) -> None:
    show = await _show(client)
    publisher = Publisher()
    peers.append(publisher)
    resp = await publisher.publish(client, show.id, key=show.stream_key)
    assert resp.status == 201, await resp.text()
    assert resp.content_type == "application/sdp"
    assert resp.headers["Location"].startswith(f"/shows/{show.id}/whip/")
    assert (await _state(client, show.id))["state"] == "live"

    viewers = [Viewer(), Viewer()]
    peers.extend(viewers)
    for viewer in viewers:
        resp = await viewer.watch(client, show.id)
        assert resp.status == 201, await resp.text()
    await until(lambda: all(len(v.frames) >= 15 for v in viewers))
    await until(lambda: all(v.audio_frames >= 10 for v in viewers))

    for viewer in viewers:
        assert viewer.frames[0].width == 160 and viewer.frames[0].height == 120
        # The picture moves: many different frames arrived, not one frozen image.
        assert len(set(viewer.brightness)) > 5
    status = await _state(client, show.id)
    assert status["publishing"] is True and status["viewers"] == 2
    assert status["video_codec"] == "VP8"
    events = client.app[recorder]
    assert (show.id, LiveEvent.STREAM_STATE, {"state": "live"}) in events.published
    assert (show.id, LiveEvent.STREAM_VIEWERS, {"count": 2}) in events.published


async def test_an_h264_publisher_is_forwarded_as_h264(client: AppClient, peers: list[Any]) -> None:
    show = await _show(client)
    publisher, viewer = Publisher("video/H264"), Viewer()
    peers.extend([publisher, viewer])
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    assert (await viewer.watch(client, show.id)).status == 201
    await until(lambda: len(viewer.frames) >= 15)
    assert len(set(viewer.brightness)) > 5
    assert (await _state(client, show.id))["video_codec"] == "H264"
    # What the server answered is all the viewer may receive.
    answer = SessionDescription.parse(viewer.pc.remoteDescription.sdp)
    (video,) = (m for m in answer.media if m.kind == "video")
    assert {c.mimeType for c in video.rtp.codecs if not c.mimeType.endswith("rtx")} == {
        "video/H264"
    }


async def test_no_decoding_or_encoding_happens_on_the_server(
    client: AppClient, peers: list[Any]
) -> None:
    show = await _show(client)
    publisher, viewer = Publisher(), Viewer()
    peers.extend([publisher, viewer])
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    assert (await viewer.watch(client, show.id)).status == 201
    await until(lambda: len(viewer.frames) >= 30)

    broadcast = client.app[server_keys.broadcasts].get(show.id)
    assert broadcast is not None and broadcast.publisher is not None
    # The publisher's receivers hand encoded frames on: their decoded-frame queues
    # stay empty although 30 pictures went through.
    for transceiver in broadcast.publisher.pc.getTransceivers():
        track = transceiver.receiver.track
        assert track is not None and getattr(track, _DECODED_FRAMES).qsize() == 0
    assert broadcast.video.frames_in >= 30
    # The viewers' senders never built an encoder, not even to packetize.
    (session,) = broadcast.viewers.values()
    senders = session.pc.getSenders()
    assert {s.kind for s in senders} == {"video", "audio"}
    for sender in senders:
        assert getattr(sender, _ENCODER) is None
        # On a direct (non-relayed) pair packets skip aiortc's coroutine hops.
        assert aiortc_hooks._direct_send(sender.transport) is not None


async def test_late_viewer_gets_a_keyframe_on_request(client: AppClient, peers: list[Any]) -> None:
    show = await _show(client)
    publisher = Publisher()
    first = Viewer()
    peers.extend([publisher, first])
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    assert (await first.watch(client, show.id)).status == 201
    await until(lambda: len(first.frames) >= 30)
    requests_before = publisher.keyframe_requests

    # aiortc's encoder only makes a keyframe every 3000 frames by itself, so a late
    # viewer only sees a picture if its request reached the publisher.
    late = Viewer()
    peers.append(late)
    assert (await late.watch(client, show.id)).status == 201
    await until(lambda: len(late.frames) >= 10)
    assert publisher.keyframe_requests > requests_before
    assert len(first.frames) > 30  # the first viewer kept watching throughout


async def test_publisher_drops_and_comes_back(
    settings: Settings, aiohttp_client: AiohttpClient, peers: list[Any]
) -> None:
    client = await streaming_client(aiohttp_client, settings.with_(publisher_grace_seconds=60.0))
    show = await _show(client)
    publisher, viewer = Publisher(), Viewer()
    peers.extend([publisher, viewer])
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    assert (await viewer.watch(client, show.id)).status == 201
    await until(lambda: len(viewer.frames) >= 15)

    await publisher.close()
    broadcast = client.app[server_keys.broadcasts].get(show.id)
    assert broadcast is not None
    events = client.app[recorder]
    await until(
        lambda: (show.id, LiveEvent.STREAM_STATE, {"state": "reconnecting"}) in events.published
    )
    status = await _state(client, show.id)
    assert status["state"] == "live"  # within the grace period the show goes on
    assert status["publishing"] is False

    seen = len(viewer.frames)
    again = Publisher()
    peers.append(again)
    assert (await again.publish(client, show.id, key=show.stream_key)).status == 201
    # The same viewer connection recovers by itself with the new publisher's pictures.
    await until(lambda: len(viewer.frames) >= seen + 15)
    assert (await _state(client, show.id))["publishing"] is True


async def test_show_ends_after_the_grace_period_and_is_recorded(
    settings: Settings, aiohttp_client: AiohttpClient, peers: list[Any]
) -> None:
    client = await streaming_client(aiohttp_client, settings.with_(publisher_grace_seconds=0.5))
    show = await _show(client)
    publisher, viewer = Publisher(), Viewer()
    peers.extend([publisher, viewer])
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    assert (await viewer.watch(client, show.id)).status == 201
    await until(lambda: len(viewer.frames) >= 30)
    await publisher.close()

    await eventually(lambda: _state(client, show.id), lambda s: s["state"] == "ended")
    recording = Path(settings.data_dir) / "recordings" / f"show-{show.id}.webm"
    assert recording.is_file()
    with av.open(str(recording)) as container:
        kinds = {s.type for s in container.streams}
        assert kinds == {"video", "audio"}
        frames = sum(1 for _ in container.decode(video=0))
    assert frames >= 20


async def test_a_show_left_live_by_a_previous_run_gets_its_grace_period(
    settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    from server.shows import service as shows

    before = await streaming_client(aiohttp_client, settings)
    show = await _show(before)
    async with before.app[server_keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show.id, "start")
    await before.close()  # the server stops while the show is live

    after = await streaming_client(aiohttp_client, settings.with_(publisher_grace_seconds=0.5))
    # Nobody publishes again: once the grace period is over the show ends.
    await eventually(lambda: _state(after, show.id), lambda s: s["state"] == "ended")


@pytest.mark.parametrize("codec", ["video/VP8", "video/H264"])
async def test_an_encoder_with_an_rsa_certificate_goes_live(
    client: AppClient, peers: list[Any], codec: str
) -> None:
    # Like GStreamer's webrtcbin: an RSA certificate and `setup:actpass`, so the server
    # answers `active` and must offer suites an RSA server can pick.
    show = await _show(client)
    publisher, viewer = Publisher(codec, rsa_certificate=True), Viewer()
    peers.extend([publisher, viewer])
    assert "a=setup:actpass" in await publisher.offer()
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    assert "a=setup:active" in publisher.pc.remoteDescription.sdp
    assert (await viewer.watch(client, show.id)).status == 201
    await until(lambda: len(viewer.frames) >= 10)
    assert (await _state(client, show.id))["video_codec"] == codec.split("/")[1]


async def test_an_h264_show_is_recorded_to_mp4_for_its_replay(
    settings: Settings, aiohttp_client: AiohttpClient, peers: list[Any]
) -> None:
    client = await streaming_client(aiohttp_client, settings.with_(publisher_grace_seconds=0.5))
    show = await _show(client)
    publisher, viewer = Publisher("video/H264"), Viewer()
    peers.extend([publisher, viewer])
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    assert (await viewer.watch(client, show.id)).status == 201
    await until(lambda: len(viewer.frames) >= 30)
    await publisher.close()

    await eventually(lambda: _state(client, show.id), lambda s: s["state"] == "ended")
    recording = Path(settings.data_dir) / "recordings" / f"show-{show.id}.mp4"
    # The last fragment is written when the broadcast closes, just after the show ends.
    await until(lambda: len(_pictures(recording)) >= 20)
    with av.open(str(recording)) as container:
        codecs = {s.type: s.codec_context.name for s in container.streams}
        assert codecs == {"video": "h264", "audio": "opus"}
    pictures = _pictures(recording)
    assert len({bytes(p.planes[0])[0] for p in pictures}) > 5  # the picture moves
    # The replay serves it as MP4, with ranges for seeking.
    served = await client.get(f"/shows/{show.id}/recording", headers={"Range": "bytes=0-7"})
    assert served.status == 206
    assert served.headers["Content-Type"] == "video/mp4"
    assert (await served.read())[4:8] == b"ftyp"


def _pictures(recording: Path) -> list[av.VideoFrame]:
    try:
        with av.open(str(recording)) as container:
            return list(container.decode(video=0))
    except (FileNotFoundError, av.FFmpegError):
        return []
