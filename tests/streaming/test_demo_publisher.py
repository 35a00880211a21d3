"""After `seed-demo`, the server brings the live demo show live by itself: its demo
publisher sends the seed-time clip through the real WHIP endpoint, and a WHEP viewer
receives moving pictures from it."""

from __future__ import annotations

from typing import Any, cast

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpClient

from server import keys
from server.app import create_app
from server.demo_showcase import LIVE_TITLE
from server.settings import Settings
from server.shows import service as shows
from streaming.demo_clip import loop_clip_path
from streaming.demo_publisher import DemoPublisher, SomeoneElsePublishes, local_url
from streaming.recording import recording_path
from tests.demo_seeding import seed_demo
from tests.e2e.conftest import free_port
from tests.helpers import AppClient
from tests.streaming.peers import Viewer, eventually, until


async def test_the_demo_show_is_live_after_start_up_and_a_viewer_sees_it_move(
    settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    port = free_port()
    settings = settings.with_(demo_publisher=True, port=port, public_url=f"http://127.0.0.1:{port}")
    show_id = (await seed_demo(settings))[LIVE_TITLE]
    # Served on the port of its settings: the demo publisher connects to it there.
    server = TestServer(create_app(settings), host="127.0.0.1", port=port)
    client = cast(AppClient, await aiohttp_client(server))

    async def stream() -> Any:
        return await (await client.get(f"/shows/{show_id}/stream")).json()

    status = await eventually(stream, lambda s: s["state"] == "live" and s["publishing"], 60)
    assert status["video_codec"] == "VP8"

    viewer = Viewer()
    try:
        assert (await viewer.watch(client, show_id)).status == 201
        await until(lambda: len(viewer.frames) >= 20 and viewer.audio_frames > 0, 60)
        first, last = viewer.frames[0], viewer.frames[-1]
        assert (last.width, last.height) == (360, 640)
        assert bytes(first.planes[0]) != bytes(last.planes[0])  # the picture moves
    finally:
        await viewer.close()

    # A second demo publisher (another server process) never takes the show over.
    async with client.app[keys.sessionmaker]() as session:
        show = await shows.get_show(session, show_id)
    second = DemoPublisher(
        client.app[keys.sessionmaker], loop_clip_path(settings.data_dir), local_url(settings)
    )
    with pytest.raises(SomeoneElsePublishes):
        await second.publish_once(show_id, show.stream_key)
    assert (await stream())["publishing"]

    # The clip is not recorded again and again: a demo left running must not fill the disk.
    recordings = recording_path(settings.data_dir, show_id).parent
    written = {p.name for p in recordings.glob("*.webm")}
    assert not written & {f"show-{show_id}.webm", f"show-{show_id}-2.webm"}

    page = await (await client.get(f"/shows/{show_id}")).text()
    assert 'data-testid="demo-badge"' in page and 'data-testid="demo-notice"' in page


def test_the_demo_publisher_is_on_by_default_only_for_make_run() -> None:
    assert Settings.from_mapping({"JANGTEO_ENV": "development"}).demo_publisher
    assert not Settings.from_mapping({"JANGTEO_ENV": "test"}).demo_publisher
    assert not Settings().demo_publisher  # the tests' settings: off unless asked
    assert Settings.from_mapping({"JANGTEO_ENV": "test", "DEMO_PUBLISHER": "1"}).demo_publisher
