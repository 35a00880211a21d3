"""Rehearsal: a creator publishes to a scheduled show without starting it; only the
show's staff can watch; one call makes it public and everyone can."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiortc import RTCSessionDescription

from server import keys
from server.accounts.models import Role
from server.shows import service as shows
from tests.helpers import AppClient, csrf, login_as, make_merchant, make_show, make_user
from tests.streaming.peers import SDP, Publisher, Viewer, until


@pytest.fixture
async def peers() -> AsyncIterator[list[Any]]:
    made: list[Any] = []
    yield made
    for peer in made:
        await peer.close()


async def _state(client: AppClient, show_id: int) -> str:
    async with client.app[keys.sessionmaker]() as session:
        return (await shows.get_show(session, show_id)).state.value


async def test_rehearsal_is_for_staff_until_it_goes_public(
    client: AppClient, peers: list[Any]
) -> None:
    creator = await make_user(client.app, Role.CREATOR)
    merchant, store = await make_merchant(client.app)
    show = await make_show(client.app, store, [creator])
    publisher = Publisher()
    peers.append(publisher)
    resp = await client.post(
        f"/shows/{show.id}/whip?rehearsal=1",
        data=await publisher.offer(),
        headers={"Content-Type": SDP, "Authorization": f"Bearer {show.stream_key}"},
    )
    assert resp.status == 201
    await publisher.pc.setRemoteDescription(
        RTCSessionDescription(sdp=await resp.text(), type="answer")
    )
    assert await _state(client, show.id) == "scheduled"

    outsider = Viewer()
    peers.append(outsider)
    refused = await outsider.watch(client, show.id)
    assert refused.status == 409
    shopper = await make_user(client.app)
    await login_as(client, shopper)
    stranger = Viewer()
    peers.append(stranger)
    assert (await stranger.watch(client, show.id)).status == 409

    await login_as(client, merchant)
    staff = Viewer()
    peers.append(staff)
    assert (await staff.watch(client, show.id)).status == 201
    await until(lambda: len(staff.frames) >= 5)
    assert await _state(client, show.id) == "scheduled"

    await login_as(client, shopper)
    refused_public = await client.post(
        f"/shows/{show.id}/stream/public", headers={"X-CSRF-Token": csrf(client)}
    )
    assert refused_public.status == 403
    await login_as(client, creator)
    public = await client.post(
        f"/shows/{show.id}/stream/public", headers={"X-CSRF-Token": csrf(client)}
    )
    assert public.status == 200 and (await public.json())["state"] == "live"
    assert await _state(client, show.id) == "live"
    await client.post("/logout", data={"_csrf": csrf(client)})
    everyone = Viewer()
    peers.append(everyone)
    assert (await everyone.watch(client, show.id)).status == 201
    await until(lambda: len(everyone.frames) >= 5)


async def test_an_unapproved_show_cannot_go_live_by_publishing(
    client: AppClient, peers: list[Any]
) -> None:
    merchant, store = await make_merchant(client.app)
    async with client.app[keys.sessionmaker].begin() as session:
        import datetime as dt

        from server.db import utcnow

        requested = await shows.create_show(
            session,
            merchant,
            store_id=store.id,
            title="신청만 한 방송",
            scheduled_start=utcnow() + dt.timedelta(days=1),
        )
    publisher = Publisher()
    peers.append(publisher)
    resp = await publisher.publish(client, requested.id, key=requested.stream_key)
    assert resp.status == 422
    assert (await resp.json())["error"]["message"] == (
        "운영자가 승인해야 라이브를 시작할 수 있습니다."
    )
    assert await _state(client, requested.id) == "scheduled"


async def test_ending_the_show_from_the_api_stops_the_stream(
    client: AppClient, peers: list[Any]
) -> None:
    creator = await make_user(client.app, Role.CREATOR)
    merchant, store = await make_merchant(client.app)
    show = await make_show(client.app, store, [creator])
    publisher, viewer = Publisher(), Viewer()
    peers.extend([publisher, viewer])
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    assert (await viewer.watch(client, show.id)).status == 201
    await until(lambda: len(viewer.frames) >= 3)
    await login_as(client, merchant)
    ended = await client.post(
        f"/api/shows/{show.id}/end", json={}, headers={"X-CSRF-Token": csrf(client)}
    )
    assert ended.status == 200
    status = await (await client.get(f"/shows/{show.id}/stream")).json()
    assert status["state"] == "ended" and not status["publishing"]
    late = Viewer()
    peers.append(late)
    assert (await late.watch(client, show.id)).status == 409


async def test_a_rehearsal_is_not_announced_to_outsiders(
    client: AppClient, peers: list[Any]
) -> None:
    creator = await make_user(client.app, Role.CREATOR)
    merchant, store = await make_merchant(client.app)
    show = await make_show(client.app, store, [creator])
    publisher = Publisher()
    peers.append(publisher)
    resp = await client.post(
        f"/shows/{show.id}/whip?rehearsal=1",
        data=await publisher.offer(),
        headers={"Content-Type": SDP, "Authorization": f"Bearer {show.stream_key}"},
    )
    assert resp.status == 201
    outsider = await (await client.get(f"/shows/{show.id}/stream")).json()
    assert outsider == {
        "state": "scheduled",
        "publishing": False,
        "hls": False,
        "viewers": 0,
        "edges": 0,
        "video_codec": None,
    }
    await login_as(client, merchant)
    staff = await (await client.get(f"/shows/{show.id}/stream")).json()
    assert staff["state"] == "scheduled" and staff["publishing"] is True
