"""Only a WHIP session's own publisher may end it (issue 12, item 1): a stranger who
knows the session's URL must not cut the show off, and every 401 says how to
authenticate (`WWW-Authenticate: Bearer`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.accounts.models import Role, User
from server.i18n import LOCALE_COOKIE
from server.shows.models import Show
from tests.helpers import AppClient, csrf, login_as, make_merchant, make_show, make_user
from tests.streaming.peers import SDP, Publisher, Viewer, until


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


async def _live(
    client: AppClient, peers: list[Any], creator: User | None = None
) -> tuple[Show, Publisher, Viewer]:
    creator = creator or await make_user(client.app, Role.CREATOR)
    _, store = await make_merchant(client.app)
    show = await make_show(client.app, store, [creator])
    publisher, viewer = Publisher(), Viewer()
    peers.extend([publisher, viewer])
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    assert (await viewer.watch(client, show.id)).status == 201
    await until(lambda: len(viewer.frames) >= 5)
    return show, publisher, viewer


async def _publishing(client: AppClient, show: Show) -> bool:
    status = await (await client.get(f"/shows/{show.id}/stream")).json()
    return bool(status["publishing"])


async def _refused(resp: Any, status: int, code: str) -> str:
    assert resp.status == status, await resp.text()
    body = await resp.json()
    assert body["error"]["code"] == code
    if status == 401:
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    return str(body["error"]["message"])


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", "Basic dXNlcjpwYXNz", "Bearer "],
    ids=["none", "wrong-key", "basic", "empty-bearer"],
)
async def test_a_stranger_cannot_end_the_publishers_session(
    english: AppClient, peers: list[Any], authorization: str | None
) -> None:
    show, publisher, viewer = await _live(english, peers)
    headers = {"Authorization": authorization} if authorization is not None else {}
    resp = await english.delete(publisher.location, headers=headers)
    expected = "unauthorized" if authorization is None else "wrong_stream_key"
    message = await _refused(resp, 401, expected)
    assert message  # a sentence the encoder's operator can read
    assert await _publishing(english, show)
    seen = len(viewer.frames)
    await until(lambda: len(viewer.frames) >= seen + 5)


async def test_a_signed_in_outsider_is_403_and_needs_csrf(
    english: AppClient, peers: list[Any]
) -> None:
    show, publisher, _ = await _live(english, peers)
    shopper = await make_user(english.app)
    await login_as(english, shopper)
    await _refused(await english.delete(publisher.location), 403, "csrf_failed")
    resp = await english.delete(publisher.location, headers={"X-CSRF-Token": csrf(english)})
    message = await _refused(resp, 403, "not_publisher")
    assert "end its stream" in message
    assert await _publishing(english, show)


async def test_another_shows_key_does_not_end_this_session(
    english: AppClient, peers: list[Any]
) -> None:
    show, publisher, _ = await _live(english, peers)
    _, other_store = await make_merchant(english.app, "다른 가게")
    other = await make_show(english.app, other_store, [])
    resp = await english.delete(
        publisher.location, headers={"Authorization": f"Bearer {other.stream_key}"}
    )
    await _refused(resp, 401, "wrong_stream_key")
    assert await _publishing(english, show)


async def test_the_publisher_ends_its_own_session_with_its_key(
    english: AppClient, peers: list[Any]
) -> None:
    show, publisher, _ = await _live(english, peers)
    resp = await english.delete(
        publisher.location, headers={"Authorization": f"Bearer {show.stream_key}"}
    )
    assert resp.status == 200, await resp.text()
    assert not await _publishing(english, show)


async def test_a_signed_in_presenter_ends_it_with_the_csrf_token(
    english: AppClient, peers: list[Any]
) -> None:
    creator = await make_user(english.app, Role.CREATOR)
    show, publisher, _ = await _live(english, peers, creator)
    await login_as(english, creator)
    resp = await english.delete(publisher.location, headers={"X-CSRF-Token": csrf(english)})
    assert resp.status == 200, await resp.text()
    assert not await _publishing(english, show)


async def test_a_viewer_session_id_is_not_a_publisher_session(
    english: AppClient, peers: list[Any]
) -> None:
    show, _, viewer = await _live(english, peers)
    viewer_id = viewer.location.rsplit("/", 1)[1]
    resp = await english.delete(
        f"/shows/{show.id}/whip/{viewer_id}",
        headers={"Authorization": f"Bearer {show.stream_key}"},
    )
    await _refused(resp, 404, "session_not_found")
    assert await _publishing(english, show)


async def test_whip_401s_carry_www_authenticate(english: AppClient) -> None:
    _, store = await make_merchant(english.app)
    show = await make_show(english.app, store, [])
    for headers in ({}, {"Authorization": "Bearer nope"}):
        resp = await english.post(
            f"/shows/{show.id}/whip", data="v=0", headers={"Content-Type": SDP, **headers}
        )
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_the_refusal_reads_in_korean(client: AppClient, peers: list[Any]) -> None:
    _, publisher, _ = await _live(client, peers)
    await login_as(client, await make_user(client.app))
    resp = await client.delete(publisher.location, headers={"X-CSRF-Token": csrf(client)})
    message = await _refused(resp, 403, "not_publisher")
    assert message == "이 방송의 크리에이터, 판매자, 운영자만 송출을 끝낼 수 있어요."
