"""Bad requests get clear errors, and a show that is already running is not disturbed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from server.accounts.models import Role
from server.i18n import LOCALE_COOKIE
from server.settings import Settings
from server.shows.models import Show
from tests.helpers import AppClient, csrf, login_as, make_merchant, make_show, make_user
from tests.streaming.conftest import streaming_client
from tests.streaming.peers import SDP, Publisher, Viewer, until

NO_MEDIA_OFFER = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


@pytest.fixture
async def peers() -> AsyncIterator[list[Any]]:
    made: list[Any] = []
    yield made
    for peer in made:
        await peer.close()


@pytest.fixture
async def english(client: AppClient) -> AppClient:
    client.session.cookie_jar.update_cookies({LOCALE_COOKIE: "en"})
    return client


async def _show(client: AppClient) -> Show:
    creator = await make_user(client.app, Role.CREATOR)
    _, store = await make_merchant(client.app)
    return await make_show(client.app, store, [creator])


async def _error(resp: Any, status: int, code: str) -> str:
    assert resp.status == status, await resp.text()
    body = await resp.json()
    assert body["error"]["code"] == code
    return str(body["error"]["message"])


async def _whip(client: AppClient, show: Show, body: str, **headers: str) -> Any:
    return await client.post(
        f"/shows/{show.id}/whip",
        data=body,
        headers={"Content-Type": SDP, "Authorization": f"Bearer {show.stream_key}", **headers},
    )


async def _publishing(client: AppClient, show: Show, peers: list[Any]) -> tuple[Publisher, Viewer]:
    publisher, viewer = Publisher(), Viewer()
    peers.extend([publisher, viewer])
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    assert (await viewer.watch(client, show.id)).status == 201
    await until(lambda: len(viewer.frames) >= 10)
    return publisher, viewer


async def _still_running(viewer: Viewer) -> None:
    seen = len(viewer.frames)
    await until(lambda: len(viewer.frames) >= seen + 10)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "empty"),
        ("this is not sdp", "v=0"),
        (NO_MEDIA_OFFER, "no audio or video"),
    ],
)
async def test_unusable_offers_are_refused(english: AppClient, body: str, reason: str) -> None:
    show = await _show(english)
    message = await _error(await _whip(english, show, body), 400, "bad_offer")
    assert reason in message
    # Nothing happened to the show.
    assert (await (await english.get(f"/shows/{show.id}/stream")).json())["state"] == "scheduled"


async def test_garbage_inside_a_media_section_is_refused(english: AppClient) -> None:
    body = NO_MEDIA_OFFER + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
    await _error(await _whip(english, show := await _show(english), body), 400, "bad_offer")
    assert (await (await english.get(f"/shows/{show.id}/stream")).json())["publishing"] is False


async def test_offer_without_a_usable_codec_is_refused(
    english: AppClient, peers: list[Any]
) -> None:
    show = await _show(english)
    publisher = Publisher()
    peers.append(publisher)
    offer = (
        (await publisher.offer())
        .replace("VP8/90000", "AV1X/90000")
        .replace("H264/90000", "AV1X/90000")
    )
    message = await _error(await _whip(english, show, offer), 406, "codec_not_supported")
    assert "VP8" in message


async def test_sdp_must_be_sent_as_application_sdp(english: AppClient) -> None:
    show = await _show(english)
    resp = await english.post(
        f"/shows/{show.id}/whip",
        data="v=0",
        headers={"Content-Type": "text/plain", "Authorization": f"Bearer {show.stream_key}"},
    )
    await _error(resp, 415, "unsupported_media_type")


async def test_wrong_stream_key_is_401(english: AppClient, peers: list[Any]) -> None:
    show = await _show(english)
    publisher = Publisher()
    peers.append(publisher)
    resp = await publisher.publish(english, show.id, key="not-the-key")
    await _error(resp, 401, "wrong_stream_key")
    resp = await publisher.publish(english, show.id, headers={"Authorization": "Basic abc"})
    await _error(resp, 401, "wrong_stream_key")


async def test_publishing_without_signing_in_is_401(english: AppClient, peers: list[Any]) -> None:
    show = await _show(english)
    publisher = Publisher()
    peers.append(publisher)
    await _error(await publisher.publish(english, show.id), 401, "unauthorized")


async def test_another_creators_show_is_403(english: AppClient, peers: list[Any]) -> None:
    show = await _show(english)
    stranger = await make_user(english.app, Role.CREATOR)
    await login_as(english, stranger)
    publisher = Publisher()
    peers.append(publisher)
    resp = await publisher.publish(english, show.id, headers={"X-CSRF-Token": csrf(english)})
    await _error(resp, 403, "not_presenter")


async def test_signed_in_presenter_needs_the_csrf_token(
    english: AppClient, peers: list[Any]
) -> None:
    creator = await make_user(english.app, Role.CREATOR)
    _, store = await make_merchant(english.app)
    show = await make_show(english.app, store, [creator])
    await login_as(english, creator)
    publisher = Publisher()
    peers.append(publisher)
    await _error(await publisher.publish(english, show.id), 403, "csrf_failed")
    resp = await publisher.publish(english, show.id, headers={"X-CSRF-Token": csrf(english)})
    assert resp.status == 201, await resp.text()


async def test_second_publisher_is_409_and_the_show_goes_on(
    english: AppClient, peers: list[Any]
) -> None:
    show = await _show(english)
    _, viewer = await _publishing(english, show, peers)
    intruder = Publisher()
    peers.append(intruder)
    message = await _error(
        await intruder.publish(english, show.id, key=show.stream_key), 409, "already_publishing"
    )
    assert f"Show {show.id}" in message
    await _still_running(viewer)


async def test_watching_a_show_that_is_not_live_is_409_with_its_state(
    english: AppClient, peers: list[Any]
) -> None:
    show = await _show(english)
    viewer = Viewer()
    peers.append(viewer)
    message = await _error(await viewer.watch(english, show.id), 409, "show_not_live")
    assert "scheduled" in message


async def test_the_state_is_named_in_korean_too(client: AppClient, peers: list[Any]) -> None:
    show = await _show(client)
    viewer = Viewer()
    peers.append(viewer)
    message = await _error(await viewer.watch(client, show.id), 409, "show_not_live")
    assert "라이브 중이 아니에요" in message


async def test_publishing_to_an_ended_show_is_409(english: AppClient, peers: list[Any]) -> None:
    creator = await make_user(english.app, Role.CREATOR)
    _, store = await make_merchant(english.app)
    show = await make_show(english.app, store, [creator])
    await _publishing(english, show, peers)
    await login_as(english, creator)
    resp = await english.post(
        f"/shows/{show.id}/stream/end",
        headers={"X-CSRF-Token": csrf(english), "Accept": "application/json"},
    )
    assert resp.status == 200
    again = Publisher()
    peers.append(again)
    message = await _error(
        await again.publish(english, show.id, key=show.stream_key), 409, "cannot_go_live"
    )
    assert "ended" in message


async def test_too_many_viewers_is_503_and_the_viewers_keep_watching(
    settings: Settings, aiohttp_client: AiohttpClient, peers: list[Any]
) -> None:
    client = await streaming_client(aiohttp_client, settings.with_(max_viewers_per_show=1))
    client.session.cookie_jar.update_cookies({LOCALE_COOKIE: "en"})
    show = await _show(client)
    _, viewer = await _publishing(client, show, peers)
    extra = Viewer()
    peers.append(extra)
    message = await _error(await extra.watch(client, show.id), 503, "too_many_viewers")
    assert "1 viewers" in message
    await _still_running(viewer)


async def test_delete_of_an_unknown_session_is_404(english: AppClient) -> None:
    show = await _show(english)
    resp = await english.delete(f"/shows/{show.id}/whep/nope")
    await _error(resp, 404, "session_not_found")


async def test_viewer_delete_ends_only_that_viewer(english: AppClient, peers: list[Any]) -> None:
    show = await _show(english)
    _, viewer = await _publishing(english, show, peers)
    other = Viewer()
    peers.append(other)
    assert (await other.watch(english, show.id)).status == 201
    assert (await english.delete(other.location)).status == 200
    status = await (await english.get(f"/shows/{show.id}/stream")).json()
    assert status["viewers"] == 1 and status["publishing"] is True
    await _still_running(viewer)


async def test_a_burst_of_viewers_never_overshoots_the_limit(
    settings: Settings, aiohttp_client: AiohttpClient, peers: list[Any]
) -> None:
    client = await streaming_client(aiohttp_client, settings.with_(max_viewers_per_show=2))
    show = await _show(client)
    publisher = Publisher()
    peers.append(publisher)
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    crowd = [Viewer() for _ in range(5)]
    peers.extend(crowd)
    statuses = sorted(
        r.status for r in await asyncio.gather(*(v.watch(client, show.id) for v in crowd))
    )
    assert statuses == [201, 201, 503, 503, 503]
