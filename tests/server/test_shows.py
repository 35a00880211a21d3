"""Show planning, the lifecycle and who may change what, through pages and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from server import keys
from server.accounts.models import AccountStatus, Role, User
from server.db import utcnow
from server.settings import Settings
from server.shows import lifecycle
from server.shows import service as shows
from server.shows.errors import IllegalTransition
from server.shows.models import Show, ShowState
from tests.helpers import AppClient, csrf, login_as, make_merchant, make_show, make_user


async def _state(app: web.Application, show_id: int) -> ShowState:
    async with app[keys.sessionmaker]() as session:
        return (await shows.get_show(session, show_id)).state


def test_lifecycle_allows_only_the_documented_moves() -> None:
    show = Show(id=7, state=ShowState.SCHEDULED)
    now = utcnow()
    lifecycle.apply(show, "start", now)
    assert (show.state, show.started_at) == (ShowState.LIVE, now)
    with pytest.raises(IllegalTransition) as err:
        lifecycle.apply(show, "cancel", now)
    assert str(err.value) == "Cannot cancel show 7: it is live."
    lifecycle.apply(show, "end", now)
    assert show.state is ShowState.ENDED
    for action in ("start", "end", "cancel"):
        with pytest.raises(IllegalTransition):
            lifecycle.apply(show, action, now)


async def test_merchant_plans_a_show_from_the_console(client: AppClient) -> None:
    merchant, store = await make_merchant(client.app)
    creator = await make_user(client.app, Role.CREATOR)
    async with client.app[keys.sessionmaker].begin() as session:
        from server.accounts import service as accounts

        await accounts.assign_creator(session, creator.id, store.id)
    await login_as(client, merchant)
    form = await client.get(f"/stores/{store.id}/shows/new")
    assert form.status == 200
    resp = await client.post(
        f"/stores/{store.id}/shows/new",
        data={
            "title": "김장 김치 라이브",
            "scheduled_start": "2099-11-30T19:00",
            "duration_minutes": "90",
            "description": "갓 담근 김치",
            "creator_ids": str(creator.id),
            "_csrf": csrf(client),
        },
    )
    assert resp.status == 200
    page = await resp.text()
    assert "김장 김치 라이브" in page and "11월 30일" in page and "오후 7:00" in page
    assert "운영자 승인을 기다리는 중" in page  # a merchant's plan is a slot request
    assert await (await client.get("/api/shows?state=scheduled")).json() == []
    planned = await (await client.get(f"/api/shows/{page_show_id(page)}")).json()
    assert planned["approval"] == "requested"
    assert planned["scheduled_start"] == "2099-11-30T10:00:00+00:00"  # 19:00 Seoul
    assert [c["id"] for c in planned["creators"]] == [creator.id]


def page_show_id(page: str) -> int:
    return int(page.split('data-show-id="')[1].split('"')[0])


async def test_bad_show_form_keeps_what_was_typed(client: AppClient) -> None:
    merchant, store = await make_merchant(client.app)
    await login_as(client, merchant)
    resp = await client.post(
        f"/stores/{store.id}/shows/new",
        data={
            "title": "지난 방송",
            "scheduled_start": "2001-01-01T10:00",
            "duration_minutes": "60",
            "_csrf": csrf(client),
        },
    )
    assert resp.status == 422
    page = await resp.text()
    assert "시작 시간이 이미 지났습니다" in page and 'value="지난 방송"' in page
    assert await (await client.get("/api/shows")).json() == []


async def test_merchant_cannot_edit_another_stores_show(client: AppClient) -> None:
    _, store_a = await make_merchant(client.app, "가게 A")
    other, _ = await make_merchant(client.app, "가게 B")
    show = await make_show(client.app, store_a, title="A의 방송")
    await login_as(client, other)
    assert (await client.get(f"/shows/{show.id}/edit")).status == 403
    resp = await client.post(
        f"/shows/{show.id}/edit",
        data={
            "title": "빼앗긴 방송",
            "scheduled_start": "2099-01-01T10:00",
            "duration_minutes": "60",
            "_csrf": csrf(client),
        },
    )
    assert resp.status == 403
    assert "내 가게의 방송만 수정할 수 있습니다" in await resp.text()
    api = await client.patch(
        f"/api/shows/{show.id}", json={"title": "x"}, headers={"X-CSRF-Token": csrf(client)}
    )
    assert api.status == 403
    assert (await api.json())["error"]["code"] == "forbidden"
    cancel = await client.post(
        f"/api/shows/{show.id}/cancel", json={}, headers={"X-CSRF-Token": csrf(client)}
    )
    assert cancel.status == 403
    detail = await (await client.get(f"/api/shows/{show.id}")).json()
    assert detail["title"] == "A의 방송" and detail["state"] == "scheduled"


async def test_illegal_transition_is_refused_with_the_state(client: AppClient) -> None:
    merchant, store = await make_merchant(client.app)
    show = await make_show(client.app, store)
    await login_as(client, merchant)
    headers = {"X-CSRF-Token": csrf(client)}
    resp = await client.post(f"/api/shows/{show.id}/end", json={}, headers=headers)
    assert resp.status == 409
    body = await resp.json()
    assert body["error"]["code"] == "illegal_transition"
    assert body["error"]["message"] == (
        f"{show.id}번 방송을 종료할 수 없습니다: 현재 예정 상태입니다."
    )
    assert await _state(client.app, show.id) is ShowState.SCHEDULED

    ok = await client.post(f"/api/shows/{show.id}/cancel", json={"reason": "태풍"}, headers=headers)
    assert ok.status == 200 and (await ok.json())["state"] == "cancelled"
    again = await client.post(f"/api/shows/{show.id}/start", json={}, headers=headers)
    assert again.status == 409


async def test_api_refuses_a_post_without_csrf_header(client: AppClient) -> None:
    merchant, _store = await make_merchant(client.app)
    await login_as(client, merchant)
    resp = await client.post(
        "/api/shows", json={"title": "x", "scheduled_start": "2099-01-01T10:00:00+09:00"}
    )
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "csrf_failed"
    assert await (await client.get("/api/shows")).json() == []


async def test_api_validates_show_input(client: AppClient) -> None:
    merchant, store = await make_merchant(client.app)
    await login_as(client, merchant)
    headers = {"X-CSRF-Token": csrf(client)}
    cases = [
        ({"title": "x", "scheduled_start": "tomorrow"}, "scheduled_start"),
        ({"title": "x", "scheduled_start": "2099-01-01T10:00:00"}, "scheduled_start"),
        ({"title": "", "scheduled_start": "2099-01-01T10:00:00+09:00"}, "title"),
        (
            {
                "title": "x",
                "scheduled_start": "2099-01-01T10:00:00+09:00",
                "duration_minutes": 10_000,
            },
            "duration_minutes",
        ),
    ]
    for body, field in cases:
        resp = await client.post("/api/shows", json=body, headers=headers)
        assert resp.status == 422, body
        assert (await resp.json())["error"]["field"] == field
    not_json = await client.post(
        "/api/shows", data="nope", headers={**headers, "Content-Type": "application/json"}
    )
    assert not_json.status == 400
    wrong_type = await client.post(
        "/api/shows",
        json={"title": "x", "scheduled_start": "2099-01-01T10:00:00+09:00", "creator_ids": ["a"]},
        headers=headers,
    )
    assert wrong_type.status == 400
    assert (await wrong_type.json())["error"]["field"] == "creator_ids"
    created = await client.post(
        "/api/shows",
        json={"title": "정상 방송", "scheduled_start": "2099-01-01T19:00:00+09:00"},
        headers=headers,
    )
    assert created.status == 201
    assert (await created.json())["store"]["id"] == store.id


async def test_creator_sees_only_assigned_shows_and_their_studio(client: AppClient) -> None:
    _, store = await make_merchant(client.app)
    mine = await make_user(client.app, Role.CREATOR, name="지은")
    other = await make_user(client.app, Role.CREATOR, name="다른 크리에이터")
    show = await make_show(client.app, store, [mine], title="배정된 방송")
    not_mine = await make_show(client.app, store, [other], title="남의 방송")
    await login_as(client, mine)
    page = await (await client.get("/studio")).text()
    assert "배정된 방송" in page and "남의 방송" not in page
    assert (await client.get(f"/studio/shows/{show.id}")).status == 200
    assert (await client.get(f"/studio/shows/{not_mine.id}")).status == 403


async def test_home_lists_live_upcoming_and_recent(client: AppClient) -> None:
    _, store = await make_merchant(client.app)
    upcoming = await make_show(client.app, store, title="곧 할 방송")
    live = await make_show(client.app, store, title="지금 방송")
    async with client.app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, live.id, "start")
    page = await (await client.get("/")).text()
    live_part = page.split('data-testid="shelf-live"')[1].split("</section>")[0]
    upcoming_part = page.split('data-testid="shelf-upcoming"')[1].split("</section>")[0]
    assert "지금 방송" in live_part and "곧 할 방송" not in live_part
    assert upcoming.title in upcoming_part


async def test_unknown_pages_and_api_paths_answer_in_kind(client: AppClient) -> None:
    page = await client.get("/no-such-page")
    assert page.status == 404 and "찾으시는 페이지가 없습니다" in await page.text()
    api = await client.get("/api/no-such-thing")
    assert api.status == 404
    assert (await api.json())["error"]["code"] == "http_404"
    missing_show = await client.get("/api/shows/999")
    assert (await missing_show.json())["error"]["message"] == "999번 방송이 없습니다."


async def test_healthz_reports_the_database(client: AppClient) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert (await resp.json())["database"] == "ok"


async def test_openapi_documents_every_api_route(client: AppClient) -> None:
    from server.openapi import api_routes

    spec = await (await client.get("/api/openapi.json")).json()
    for method, path, handler in api_routes(client.app):
        assert getattr(handler, "openapi", None), f"{method.upper()} {path} is undocumented"
        assert method in spec["paths"][path], f"{method.upper()} {path} missing from the spec"
    assert spec["paths"]["/api/shows/{show_id}/{action}"]["post"]["responses"]["409"]


@pytest.mark.postgres
async def test_accounts_and_shows_work_on_postgresql(
    any_db_settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    from server.app import create_app

    app = create_app(any_db_settings)
    client: AppClient = await aiohttp_client(app)
    merchant, _store = await make_merchant(app, "부산 어묵")
    await login_as(client, merchant)
    created = await client.post(
        "/api/shows",
        json={
            "title": "어묵 라이브",
            "scheduled_start": "2099-01-01T19:00:00+09:00",
            "duration_minutes": 45,
        },
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert created.status == 201
    show_id = (await created.json())["id"]
    async with app[keys.sessionmaker]() as session:
        show = await shows.get_show(session, show_id)
    assert show.scheduled_start == dt.datetime(2099, 1, 1, 10, tzinfo=dt.UTC)
    assert show.store.name == "부산 어묵"


async def test_suspended_user_is_signed_out(client: AppClient) -> None:
    user = await make_user(client.app)
    await login_as(client, user)
    async with client.app[keys.sessionmaker].begin() as session:
        from server.accounts import service as accounts

        await accounts.set_status(session, user.id, AccountStatus.SUSPENDED)
    assert (await client.get("/api/me")).status == 401
    _ = User


async def test_cover_image_is_resized_and_bad_files_are_refused(client: AppClient) -> None:
    import io

    from aiohttp import FormData
    from PIL import Image

    merchant, store = await make_merchant(client.app)
    await login_as(client, merchant)
    png = io.BytesIO()
    Image.new("RGB", (2400, 1600), (200, 40, 40)).save(png, "PNG")

    def form(cover: bytes, filename: str) -> FormData:
        data = FormData()
        for key, value in {
            "title": "표지 있는 방송",
            "scheduled_start": "2099-05-01T19:00",
            "duration_minutes": "60",
            "_csrf": csrf(client),
        }.items():
            data.add_field(key, value)
        data.add_field("cover", cover, filename=filename, content_type="image/png")
        return data

    bad = await client.post(f"/stores/{store.id}/shows/new", data=form(b"not an image", "x.png"))
    assert bad.status == 422
    assert "8MB 이하의 JPEG, PNG, WebP 이미지를 올려 주세요" in await bad.text()
    ok = await client.post(f"/stores/{store.id}/shows/new", data=form(png.getvalue(), "c.png"))
    assert ok.status == 200
    show_id = page_show_id(await ok.text())
    cover_url = (await (await client.get(f"/api/shows/{show_id}")).json())["cover_url"]
    image = await client.get(cover_url)
    assert image.status == 200
    with Image.open(io.BytesIO(await image.read())) as stored:
        assert max(stored.size) == 1280
