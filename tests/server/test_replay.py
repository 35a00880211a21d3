"""Replays: the recording is served with ranges, the timeline shows pins and flash sales
at the moment they happened, chat is handed over for replay, and a merchant can hide it."""

from __future__ import annotations

import asyncio
import json

from chat.models import ChatMessage
from server import keys
from server.accounts.models import Role
from server.analytics.models import ShowEvent
from server.events import LiveEvent
from server.shows import service as shows
from streaming.recording import recording_path
from tests.helpers import AppClient, csrf, login_as, make_merchant, make_show, make_user


async def _run_show(client: AppClient) -> tuple[int, object]:
    merchant, store = await make_merchant(client.app)
    show = await make_show(client.app, store, title="녹화 방송")
    async with client.app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show.id, "start")
    await asyncio.sleep(0.3)
    await client.app[keys.live_events].publish(
        show.id, LiveEvent.PRODUCT_PINNED, {"product": {"id": 11, "name": "무청 시래기"}}
    )
    await client.app[keys.live_events].publish(
        show.id, LiveEvent.SALE_STARTED, {"sale": {"product_id": 11, "name": "무청 시래기"}}
    )
    shopper = await make_user(client.app, name="민수")
    async with client.app[keys.sessionmaker].begin() as session:
        session.add(
            ChatMessage(
                key=f"r{show.id}-1",
                show_id=show.id,
                user_id=shopper.id,
                author_name="민수",
                badge="shopper",
                body="<b>맛있어요</b>",
                offset_ms=1200,
            )
        )
        await shows.system_transition(session, show.id, "end")
    path = recording_path(client.app[keys.settings].data_dir, show.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x1a\x45\xdf\xa3" + b"\0" * 4096)  # an EBML header and padding
    return show.id, merchant


async def test_replay_page_timeline_chat_and_recording(client: AppClient) -> None:
    show_id, _ = await _run_show(client)
    page = await (await client.get(f"/shows/{show_id}")).text()
    assert 'data-testid="replay-video"' in page
    data = json.loads(page.split('id="replay-data">')[1].split("</script>")[0])
    # A flash sale pins its product and starts it at one moment: one line, the sale's.
    kinds = [m["kind"] for m in data["moments"]]
    assert kinds == ["sale:started"]
    assert data["moments"][0]["offset_ms"] >= 250  # pinned after 0.3 s of the show
    assert data["moments"][0]["product_id"] == 11
    assert data["moments"][0]["label"] == "무청 시래기"
    assert data["messages"] == [
        {
            "offset_ms": 1200,
            "author": "민수",
            "badge": "shopper",
            "body": "<b>맛있어요</b>",
            "question": False,
        }
    ]
    assert "<b>맛있어요</b>" not in page  # the message is JSON-escaped, shown via textContent
    ranged = await client.get(f"/shows/{show_id}/recording.webm", headers={"Range": "bytes=0-3"})
    assert ranged.status == 206 and await ranged.read() == b"\x1a\x45\xdf\xa3"


async def test_merchant_hides_the_replay(client: AppClient) -> None:
    show_id, merchant = await _run_show(client)
    await login_as(client, merchant)  # type: ignore[arg-type]
    resp = await client.post(
        f"/shows/{show_id}/replay", data={"hidden": "1", "_csrf": csrf(client)}
    )
    assert "다시보기가 구매자에게 숨겨져 있습니다" in await resp.text()
    assert (await client.get(f"/shows/{show_id}/recording.webm")).status == 200  # staff
    shopper = await make_user(client.app)
    await login_as(client, shopper)
    page = await (await client.get(f"/shows/{show_id}")).text()
    assert 'data-testid="replay-video"' not in page
    missing = await client.get(f"/shows/{show_id}/recording.webm")
    assert missing.status == 404
    other = await make_user(client.app, Role.MERCHANT)
    await login_as(client, other)
    assert (
        await client.post(f"/shows/{show_id}/replay", data={"hidden": "0", "_csrf": csrf(client)})
    ).status == 403


async def test_no_replay_before_the_show_ends(client: AppClient) -> None:
    _, store = await make_merchant(client.app)
    show = await make_show(client.app, store)
    assert (await client.get(f"/shows/{show.id}/recording.webm")).status == 404
    assert 'data-testid="replay-video"' not in await (await client.get(f"/shows/{show.id}")).text()


async def test_timeline_lists_each_pin_once_and_tracks_what_was_on_screen(
    client: AppClient,
) -> None:
    _, store = await make_merchant(client.app)
    show = await make_show(client.app, store, title="두 번 고정")
    async with client.app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show.id, "start")
        for offset, kind, payload in [
            (2_000, "product:pinned", {"product": {"id": 1, "name": "도마"}}),
            (2_000, "product:pinned", {"product": {"id": 1, "name": "도마"}}),  # twice
            (9_000, "product:pinned", {"product": {"id": 1, "name": "도마"}}),  # re-tapped
            (23_000, "product:pinned", {"product": {"id": 2, "name": "수저"}}),
            (40_000, "product:unpinned", {}),
            (50_000, "product:pinned", {"product": {"id": 1, "name": "도마"}}),
            (60_000, "sale:started", {"sale": {"product_id": 1}}),  # later: its own line
        ]:
            session.add(ShowEvent(show_id=show.id, kind=kind, offset_ms=offset, payload=payload))
        await shows.system_transition(session, show.id, "end")
    page = await (await client.get(f"/shows/{show.id}")).text()
    data = json.loads(page.split('id="replay-data">')[1].split("</script>")[0])
    listed = [(m["offset_ms"], m["kind"], m["label"]) for m in data["moments"]]
    assert listed == [
        (2_000, "product:pinned", "도마"),
        (23_000, "product:pinned", "수저"),
        (50_000, "product:pinned", "도마"),
        (60_000, "sale:started", "도마"),
    ]
    assert page.count('data-testid="seek"') == 4
    track = [(p["offset_ms"], p["product_id"]) for p in data["pins"]]
    assert (23_000, 2) in track and (40_000, None) in track
