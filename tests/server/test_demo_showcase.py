"""`seed-demo` gives a newcomer something to watch at once: a demo show waiting to go
live with a product pinned, a finished demo show whose replay plays a real recording
(served with ranges) with its pins, flash sale and chat on the timeline, and a cover
on every show of the demo stores."""

from __future__ import annotations

import json

import av
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from checkout import catalog
from checkout.models import Product
from server import keys
from server.accounts.models import Store
from server.app import create_app
from server.demo import renew_live_demo, seed
from server.demo_history import DEMO_STORES
from server.demo_media import captions_of, seed_media
from server.demo_showcase import LIVE_PINNED, LIVE_TITLE, REPLAY_SECONDS, REPLAY_TITLE
from server.events import LiveEvent
from server.settings import Settings
from server.shows import service as shows
from server.shows.models import Show, ShowState
from streaming.demo_clip import caption_script, loop_clip_path, read_clip
from streaming.demo_scene import LOOP_SECONDS, Caption
from streaming.recording import recording_path
from tests.helpers import AppClient


async def _seeded(any_db_settings: Settings, aiohttp_client: AiohttpClient) -> AppClient:
    client: AppClient = await aiohttp_client(create_app(any_db_settings))
    async with client.app[keys.sessionmaker].begin() as session:
        assert await seed(session)
    async with client.app[keys.sessionmaker].begin() as session:
        made = await seed_media(session, any_db_settings.data_dir)
    assert made.clip is not None and len(made.recordings) == 1 and made.covers > 0
    return client


async def _show(client: AppClient, title: str) -> Show:
    async with client.app[keys.sessionmaker]() as session:
        show = await session.scalar(select(Show).where(Show.title == title))
    assert show is not None
    return show


async def test_seed_demo_makes_a_live_demo_a_replay_with_its_recording_and_covers(
    any_db_settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    client = await _seeded(any_db_settings, aiohttp_client)
    data_dir = any_db_settings.data_dir

    # The live demo: waiting for its publisher, a product pinned, its clip loops.
    live = await _show(client, LIVE_TITLE)
    assert live.is_demo and live.state is ShowState.SCHEDULED
    async with client.app[keys.sessionmaker]() as session:
        pinned = await catalog.pinned_product_id(session, live.id)
        assert pinned is not None
        assert (await catalog.get_product(session, pinned)).name == LIVE_PINNED
    clip = read_clip(loop_clip_path(data_dir))
    assert len(clip["video"]) == LOOP_SECONDS * 15 and len(clip["audio"]) == LOOP_SECONDS * 50
    assert clip["video"][0].data[0] & 0x01 == 0  # the loop starts on a VP8 keyframe

    # The finished demo: a recording as long as the show, VP8 and Opus.
    replay = await _show(client, REPLAY_TITLE)
    assert replay.is_demo and replay.state is ShowState.ENDED
    path = recording_path(data_dir, replay.id)
    with av.open(str(path)) as container:
        codecs = {s.type: s.codec_context.name for s in container.streams}
        assert codecs == {"video": "vp8", "audio": "opus"}
        assert container.duration is not None
        assert abs(container.duration / av.time_base - REPLAY_SECONDS) < 1.5

    # Its replay page: the timeline of pins and the flash sale, the chat at its moments.
    page = await client.get(f"/shows/{replay.id}")
    text = await page.text()
    assert page.status == 200 and 'data-testid="replay-video"' in text
    assert 'data-testid="demo-notice"' in text
    data = json.loads(text.split('id="replay-data">')[1].split("</script>")[0])
    moments = [(m["kind"], m["offset_ms"], m["label"]) for m in data["moments"]]
    assert ("product:pinned", 4000, "김장 김치 2kg") in moments
    assert any(kind == "sale:started" and at == 40000 for kind, at, _ in moments)
    assert [m for m in moments if m[0] == "product:pinned"][-1][2] == "밑반찬 3종 세트"
    assert len(data["messages"]) >= 10
    assert all(0 <= m["offset_ms"] <= REPLAY_SECONDS * 1000 for m in data["messages"])
    assert any(m["question"] for m in data["messages"])

    # The recording is served for the player to seek in.
    ranged = await client.get(f"/shows/{replay.id}/recording.webm", headers={"Range": "bytes=0-3"})
    assert ranged.status == 206
    assert await ranged.read() == b"\x1a\x45\xdf\xa3"  # the start of a WebM (EBML) file
    assert ranged.headers["Content-Range"].endswith(f"/{path.stat().st_size}")

    # Every show of the demo stores has a cover, stored like an upload, and it is served.
    async with client.app[keys.sessionmaker]() as session:
        rows = (
            await session.execute(
                select(Show.id, Show.cover_path)
                .join(Store, Store.id == Show.store_id)
                .where(Store.slug.in_([d.slug for d in DEMO_STORES]))
            )
        ).all()
    covers = {cover for _, cover in rows if cover}
    assert len(rows) > 100 and all(cover for _, cover in rows)
    for cover in covers:
        assert (data_dir / "media" / cover).is_file()
        assert (data_dir / "media" / cover.replace(".jpg", ".thumb.jpg")).is_file()
    served = await client.get(f"/media/{rows[0][1]}")
    assert served.status == 200 and served.content_type == "image/jpeg"
    # And every product of theirs a photo, which the store page's products show.
    async with client.app[keys.sessionmaker]() as session:
        photos = list(
            await session.scalars(
                select(Product.image_path)
                .join(Store, Store.id == Product.store_id)
                .where(Store.slug.in_([d.slug for d in DEMO_STORES]))
            )
        )
    assert len(photos) > 40 and all(p and (data_dir / "media" / p).is_file() for p in photos)

    # Run again (as every `make run` does): only what went missing is made.
    path.unlink()
    lost_cover = data_dir / "media" / sorted(covers)[0]
    lost_cover.unlink()
    async with client.app[keys.sessionmaker].begin() as session:
        again = await seed_media(session, data_dir)
    assert again.covers == 1 and again.photos == 0 and again.clip is None
    async with client.app[keys.sessionmaker]() as session:
        now_covers = await session.scalars(
            select(Show.cover_path).where(Show.id.in_([show_id for show_id, _ in rows]))
        )
        assert all(c and (data_dir / "media" / c).is_file() for c in now_covers)
    assert again.recordings == [path] and path.is_file()
    assert not list(path.parent.glob("*-2.webm"))  # put back in place, not beside it

    # Someone ends the live demo from the studio: the next `make run` has a new one,
    # and the ended one gets no made-up recording.
    async with client.app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, live.id, "start")
        await shows.system_transition(session, live.id, "end")
    async with client.app[keys.sessionmaker].begin() as session:
        renewed = await renew_live_demo(session)
        assert renewed is not None and renewed.is_demo and renewed.id != live.id
        assert await renew_live_demo(session) is None  # one is waiting now
    async with client.app[keys.sessionmaker]() as session:
        pinned = await catalog.pinned_product_id(session, renewed.id)
        assert pinned is not None
        assert (await catalog.get_product(session, pinned)).name == LIVE_PINNED
    async with client.app[keys.sessionmaker].begin() as session:
        assert (await seed_media(session, data_dir)).recordings == []
    assert not recording_path(data_dir, live.id).exists()


def test_the_recordings_captions_follow_the_journal() -> None:
    kimchi = {"name": "김장 김치 2kg", "price_text": "₩29,000"}
    changes = captions_of(
        [
            (4000, LiveEvent.PRODUCT_PINNED, {"product": kimchi, "sale": None}),
            (40000, LiveEvent.SALE_STARTED, {"sale": {"price_text": "₩14,000"}}),
            (70000, LiveEvent.SALE_ENDED, {}),
            (86000, LiveEvent.PRODUCT_UNPINNED, {}),
        ]
    )
    pinned = Caption("김장 김치 2kg", "₩29,000")
    assert changes == [
        (4.0, pinned),
        (40.0, Caption("김장 김치 2kg", "₩14,000", sale=True)),
        (70.0, pinned),
        (86.0, None),
    ]
    shown = caption_script(changes)
    assert shown(0) is None and shown(10) == pinned and shown(88) is None
    assert shown(50) == Caption("김장 김치 2kg", "₩14,000", sale=True)
