"""A show that is not public (a slot request waiting for approval, a declined one) is
for its staff only: every route and socket event that names it answers 404 to anyone
else, as if it did not exist (issue 16, item 4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from aiohttp import web

from server import keys
from server.accounts import service as accounts
from server.accounts.models import Role, User
from server.db import utcnow
from server.shows import service as shows
from server.shows.models import Show
from tests.helpers import AppClient, csrf, login_as, make_merchant, make_show, make_user

# Every route whose URL names a show: (method, the route as registered, a concrete path).
# `test_every_route_naming_a_show_is_listed` keeps this list complete.
SHOW_ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/shows/{show_id}", "/shows/{id}"),
    ("POST", "/shows/{show_id}/replay", "/shows/{id}/replay"),
    ("GET", "/shows/{show_id}/edit", "/shows/{id}/edit"),
    ("POST", "/shows/{show_id}/edit", "/shows/{id}/edit"),
    ("POST", "/shows/{show_id}/{action}", "/shows/{id}/cancel"),
    ("POST", "/shows/{show_id}/{action}", "/shows/{id}/end"),
    ("POST", "/shows/{show_id}/{action}", "/shows/{id}/approve"),
    ("POST", "/shows/{show_id}/{action}", "/shows/{id}/decline"),
    ("POST", "/shows/{show_id}/{action}", "/shows/{id}/reschedule"),
    ("GET", "/studio/shows/{show_id}", "/studio/shows/{id}"),
    ("POST", "/shows/{show_id}/remind", "/shows/{id}/remind"),
    ("GET", "/shows/{show_id}/calendar.ics", "/shows/{id}/calendar.ics"),
    ("POST", "/shows/{show_id}/reports", "/shows/{id}/reports"),
    ("GET", "/api/shows/{show_id}", "/api/shows/{id}"),
    ("PATCH", "/api/shows/{show_id}", "/api/shows/{id}"),
    ("POST", "/api/shows/{show_id}/{action}", "/api/shows/{id}/start"),
    ("POST", "/api/shows/{show_id}/{action}", "/api/shows/{id}/end"),
    ("POST", "/api/shows/{show_id}/{action}", "/api/shows/{id}/cancel"),
    ("GET", "/api/shows/{show_id}/chat/moderation-log", "/api/shows/{id}/chat/moderation-log"),
    ("GET", "/api/shows/{show_id}/shelf", "/api/shows/{id}/shelf"),
    ("POST", "/api/shows/{show_id}/lineup", "/api/shows/{id}/lineup"),
    ("POST", "/api/shows/{show_id}/pin", "/api/shows/{id}/pin"),
    ("POST", "/api/shows/{show_id}/unpin", "/api/shows/{id}/unpin"),
    ("POST", "/api/shows/{show_id}/sale", "/api/shows/{id}/sale"),
    ("POST", "/api/shows/{show_id}/sale/end", "/api/shows/{id}/sale/end"),
    ("POST", "/api/shows/{show_id}/quick-listing", "/api/shows/{id}/quick-listing"),
    ("POST", "/api/shows/{show_id}/orders", "/api/shows/{id}/orders"),
    ("GET", "/api/shows/{show_id}/orders", "/api/shows/{id}/orders"),
    ("POST", "/shows/{show_id}/whip", "/shows/{id}/whip"),
    ("DELETE", "/shows/{show_id}/whip/{session_id}", "/shows/{id}/whip/abc"),
    ("PATCH", "/shows/{show_id}/whip/{session_id}", "/shows/{id}/whip/abc"),
    ("POST", "/shows/{show_id}/whep", "/shows/{id}/whep"),
    ("DELETE", "/shows/{show_id}/whep/{session_id}", "/shows/{id}/whep/abc"),
    ("PATCH", "/shows/{show_id}/whep/{session_id}", "/shows/{id}/whep/abc"),
    ("POST", "/shows/{show_id}/stream/public", "/shows/{id}/stream/public"),
    ("GET", "/shows/{show_id}/stream", "/shows/{id}/stream"),
    ("POST", "/shows/{show_id}/stream/end", "/shows/{id}/stream/end"),
    ("POST", "/shows/{show_id}/stream/key", "/shows/{id}/stream/key"),
    ("GET", "/shows/{show_id}/recording.webm", "/shows/{id}/recording.webm"),
    ("GET", "/shows/{show_id}/recording", "/shows/{id}/recording"),
    ("GET", "/shows/{show_id}/hls/{name}", "/shows/{id}/hls/index.m3u8"),
    ("GET", "/shows/{show_id}/analytics", "/shows/{id}/analytics"),
    ("GET", "/shows/{show_id}/analytics.csv", "/shows/{id}/analytics.csv"),
    ("GET", "/shows/{show_id}/job", "/shows/{id}/job"),
    ("POST", "/shows/{show_id}/job", "/shows/{id}/job"),
    ("GET", "/shows/{show_id}/reviews", "/shows/{id}/reviews"),
    ("POST", "/shows/{show_id}/reviews", "/shows/{id}/reviews"),
    ("POST", "/shows/{show_id}/publication", "/shows/{id}/publication"),
    ("GET", "/shows/{show_id}/insights", "/shows/{id}/insights"),
    ("GET", "/shows/{show_id}/insights/{table}.csv", "/shows/{id}/insights/retention.csv"),
    ("GET", "/shows/{show_id}/insights/{table}.csv", "/shows/{id}/insights/viewers.csv"),
    ("GET", "/shows/{show_id}/insights/{table}.csv", "/shows/{id}/insights/departures.csv"),
]
STRANGERS = ("anonymous", "shopper", "other_merchant", "other_creator")


async def slot_request(app: web.Application) -> tuple[Show, User, User]:
    """A merchant's slot request (waiting for an operator) with a creator on it."""
    merchant, store = await make_merchant(app, "비공개 가게")
    creator = await make_user(app, Role.CREATOR)
    async with app[keys.sessionmaker].begin() as session:
        await accounts.assign_creator(session, creator.id, store.id)
        show = await shows.create_show(
            session,
            merchant,
            store_id=store.id,
            title="비공개 신청 방송",
            scheduled_start=utcnow() + dt.timedelta(days=2),
            creator_ids=[creator.id],
        )
    assert not show.is_public
    return show, merchant, creator


async def _stranger(client: AppClient, who: str) -> None:
    if who == "anonymous":
        await client.get("/login")  # a CSRF cookie, as a browser would have
        return
    if who == "shopper":
        user = await make_user(client.app)
    elif who == "other_merchant":
        user, _ = await make_merchant(client.app, "옆 가게")
    else:
        user = await make_user(client.app, Role.CREATOR)
    await login_as(client, user)


async def _request(client: AppClient, method: str, path: str) -> Any:
    headers = {"Accept": "application/json", "X-CSRF-Token": csrf(client)}
    if path.endswith(("/whip", "/whep")):
        return await client.request(
            method, path, data="v=0", headers={**headers, "Content-Type": "application/sdp"}
        )
    if method in ("POST", "PATCH"):
        return await client.request(method, path, json={}, headers=headers)
    return await client.request(method, path, headers=headers)


def test_every_route_naming_a_show_is_listed(app: web.Application) -> None:
    registered = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and "{show_id}" in route.resource.canonical
        and route.method != "HEAD"
    }
    assert registered == {(method, canonical) for method, canonical, _ in SHOW_ROUTES}


@pytest.mark.parametrize("who", STRANGERS)
@pytest.mark.parametrize(
    ("method", "path"),
    [(method, path) for method, _, path in SHOW_ROUTES],
    ids=[f"{method} {path}" for method, _, path in SHOW_ROUTES],
)
async def test_a_private_show_is_404_to_everyone_but_its_staff(
    client: AppClient, method: str, path: str, who: str
) -> None:
    show, _, _ = await slot_request(client.app)
    await _stranger(client, who)
    resp = await _request(client, method, path.format(id=show.id))
    assert resp.status == 404, f"{method} {path} as {who}: {resp.status} {await resp.text()}"
    if resp.content_type == "application/json":
        body = await resp.json()
        assert "비공개" not in str(body)


@pytest.mark.parametrize(
    "path", ["/shows/{id}", "/api/shows/{id}", "/api/shows/{id}/shelf", "/shows/{id}/stream"]
)
@pytest.mark.parametrize("who", ["merchant", "creator", "operator"])
async def test_the_shows_staff_still_see_it(client: AppClient, path: str, who: str) -> None:
    show, merchant, creator = await slot_request(client.app)
    staff = {
        "merchant": merchant,
        "creator": creator,
        "operator": await make_user(client.app, Role.OPERATOR),
    }[who]
    await login_as(client, staff)
    resp = await client.get(path.format(id=show.id))
    assert resp.status == 200, await resp.text()


@pytest.mark.parametrize(
    "path", ["/shows/{id}", "/api/shows/{id}", "/api/shows/{id}/shelf", "/shows/{id}/stream"]
)
async def test_a_public_show_is_for_everyone(client: AppClient, path: str) -> None:
    _, store = await make_merchant(client.app)
    show = await make_show(client.app, store, [])
    assert (await client.get(path.format(id=show.id))).status == 200


async def test_the_store_page_lists_only_what_the_visitor_may_see(client: AppClient) -> None:
    show, merchant, _ = await slot_request(client.app)
    async with client.app[keys.sessionmaker]() as session:
        store = await shows.get_show(session, show.id)
    page = await (await client.get(f"/stores/{store.store.slug}")).text()
    assert "비공개 신청 방송" not in page
    await login_as(client, merchant)
    page = await (await client.get(f"/stores/{store.store.slug}")).text()
    assert "비공개 신청 방송" in page


async def test_a_show_id_in_a_form_follows_the_same_rule(client: AppClient) -> None:
    show, _, _ = await slot_request(client.app)
    other, _ = await make_merchant(client.app, "옆 가게")
    await login_as(client, other)
    resp = await client.post(
        "/start/day/tick",
        data={"show_id": str(show.id), "item": "light", "done": "1", "_csrf": csrf(client)},
    )
    assert resp.status == 404
