"""Bad input gets a 4xx with a message in the caller's language, never a 5xx: ids out of
range, text that cannot be stored, dates past what datetime can add to, deep JSON,
unreadable form bodies, and the statuses the OpenAPI document must name."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import func, select

from server import keys
from server.accounts.models import Store
from server.app import create_app
from server.markets import csv_import
from server.settings import Settings
from server.shows.models import Show
from tests.helpers import AppClient, csrf, login_as, make_merchant, make_show

BIG_IDS = [0, 2**31, 2**63, 2**64, 10**30]


def id_routes(client: AppClient) -> list[tuple[str, str]]:
    """(method, path formatter) of every route with a numeric `{..._id}`."""
    out = []
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        pattern = info.get("pattern")
        if route.method != "HEAD" and pattern is not None and r"\d+)" in pattern.pattern:
            out.append((route.method, info["formatter"]))
    return out


async def signed_in_merchant(client: AppClient) -> tuple[Store, dict[str, str]]:
    merchant, store = await make_merchant(client.app)
    await login_as(client, merchant)
    return store, {"X-CSRF-Token": csrf(client)}


async def show_count(client: AppClient) -> int:
    async with client.app[keys.sessionmaker]() as session:
        return int(await session.scalar(select(func.count(Show.id))) or 0)


async def test_ids_out_of_range_are_404_on_every_id_route(client: AppClient) -> None:
    _, headers = await signed_in_merchant(client)
    routes = id_routes(client)
    assert len(routes) > 40
    for method, formatter in routes:
        for big in BIG_IDS:
            path = re.sub(r"{\w+_id}", str(big), formatter)
            path = re.sub(r"{\w+}", "x", path)
            resp = await client.request(method, path, headers=headers, json={})
            assert resp.status == 404, (method, path, resp.status, await resp.text())


@pytest.mark.postgres
async def test_json_ids_out_of_range_are_refused_on_both_databases(
    any_db_settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    client: AppClient = await aiohttp_client(create_app(any_db_settings))
    store, headers = await signed_in_merchant(client)
    show = await make_show(client.app, store)
    start = "2099-01-01T10:00:00+09:00"
    for body in (
        {"title": "x", "scheduled_start": start, "creator_ids": [2**63]},
        {"title": "x", "scheduled_start": start, "creator_ids": [2**31]},
        {"title": "x", "scheduled_start": start, "store_id": 2**31},
    ):
        resp = await client.post("/api/shows", json=body, headers=headers)
        assert resp.status == 422, await resp.text()
        assert "정수를 입력하세요" in (await resp.json())["error"]["message"]
    for path in ("lineup", "pin"):
        resp = await client.post(
            f"/api/shows/{show.id}/{path}", json={"product_id": 2**31}, headers=headers
        )
        assert resp.status == 422, await resp.text()
        assert (await resp.json())["error"]["field"] == "product_id"
    assert await show_count(client) == 1


@pytest.mark.parametrize("bad", ["김장\ud800라이브", "김장\x00라이브"])
async def test_unstorable_text_is_a_400_in_korean_and_nothing_is_saved(
    client: AppClient, bad: str
) -> None:
    store, headers = await signed_in_merchant(client)
    resp = await client.post(
        "/api/shows",
        json={"title": bad, "scheduled_start": "2099-01-01T10:00:00+09:00"},
        headers=headers,
    )
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert error["code"] == "bad_text" and error["field"] == "title"
    assert "저장할 수 없는 문자" in error["message"]
    assert await show_count(client) == 0
    # The same in a page's form (the store's name) and in a query string. A lone
    # surrogate cannot even be sent as UTF-8: its bytes arrive, and must not crash.
    raw = "%00" if "\x00" in bad else "%ED%A0%80"
    page = await client.post(
        "/merchant/store",
        data=f"name=x{raw}&description=&_csrf={csrf(client)}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    query = await client.get(f"/api/shows?state=x{raw}")
    if "\x00" in bad:
        assert page.status == 400 and "저장할 수 없는 문자" in await page.text()
        assert query.status == 400
    assert page.status < 500 and query.status < 500
    async with client.app[keys.sessionmaker]() as session:
        saved = await session.get(Store, store.id)
        assert saved is not None and "\x00" not in saved.name


async def test_year_9999_is_refused_not_a_crash(client: AppClient) -> None:
    store, headers = await signed_in_merchant(client)
    resp = await client.post(
        "/api/shows",
        json={"title": "먼 미래", "scheduled_start": "9999-12-31T23:59:59+00:00"},
        headers=headers,
    )
    assert resp.status == 422
    assert (await resp.json())["error"]["field"] == "scheduled_start"
    form = await client.post(
        f"/stores/{store.id}/shows/new",
        data={
            "title": "먼 미래",
            "scheduled_start": "9999-12-31T23:59",
            "duration_minutes": "60",
            "_csrf": csrf(client),
        },
    )
    assert form.status < 500
    assert await show_count(client) == 0
    for path in ("/calendar?date=9999-12-31&view=month", "/jobs?date=9999-12-31"):
        assert (await client.get(path)).status < 500, path


async def test_deep_and_malformed_json_is_a_400(client: AppClient) -> None:
    _, headers = await signed_in_merchant(client)
    json_headers = {**headers, "Content-Type": "application/json"}
    for body in ("[" * 100_000, '{"a":' * 100 + "1" + "}" * 100, "nope", "[1]", '{"a": NaN}'):
        resp = await client.post("/api/shows", data=body, headers=json_headers)
        assert resp.status == 400, body[:20]
        assert (await resp.json())["error"]["code"] == "bad_json"


async def test_multipart_without_a_boundary_is_a_400_even_before_sign_in(
    client: AppClient,
) -> None:
    for path in ("/login", "/api/shows", "/merchant/store"):
        resp = await client.post(
            path, data=b"email=a", headers={"Content-Type": "multipart/form-data"}
        )
        assert resp.status == 400, path
    broken = await client.post(
        "/login",
        data=b"--x\r\nnot a header\r\n\r\n--x--",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert broken.status == 400


async def test_string_numbers_in_json_are_the_wrong_type(client: AppClient) -> None:
    _, headers = await signed_in_merchant(client)
    resp = await client.post(
        "/api/shows",
        json={
            "title": "x",
            "scheduled_start": "2099-01-01T10:00:00+09:00",
            "duration_minutes": "60",
        },
        headers=headers,
    )
    assert resp.status == 400
    assert (await resp.json())["error"]["field"] == "duration_minutes"
    assert await show_count(client) == 0


async def test_whip_answers_json_even_for_an_id_out_of_range(client: AppClient) -> None:
    resp = await client.post(
        f"/shows/{2**63}/whip",
        data="v=0\r\n",
        headers={"Content-Type": "application/sdp", "Authorization": "Bearer x"},
    )
    assert resp.status == 404
    assert resp.content_type == "application/json"
    show = await make_show(client.app, (await make_merchant(client.app))[1])
    for how in ("whip", "whep"):
        unreadable = await client.post(
            f"/shows/{show.id}/{how}",
            data=b"x",
            headers={"Content-Type": "multipart/form-data", "Authorization": "Bearer x"},
        )
        assert unreadable.status == 400
        assert (await unreadable.json())["error"]["code"] == "bad_body"


async def test_a_405_names_the_allowed_methods(client: AppClient) -> None:
    resp = await client.delete("/api/shows")
    assert resp.status == 405
    assert set(resp.headers["Allow"].split(",")) >= {"GET", "POST"}
    assert (await resp.json())["error"]["code"] == "http_405"


async def test_openapi_names_the_statuses_of_the_edge(client: AppClient) -> None:
    spec: dict[str, Any] = await (await client.get("/api/openapi.json")).json()
    create = spec["paths"]["/api/shows"]["post"]["responses"]
    assert {"400", "401", "403", "405", "413", "422"} <= set(create)
    assert "csrf_failed" in create["403"]["description"]
    one = spec["paths"]["/api/shows/{show_id}"]["get"]
    assert "404" in one["responses"]
    assert one["parameters"][0]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_a_market_csv_with_a_nul_is_refused_with_a_message() -> None:
    # UTF-16 (Excel's "Unicode text") is full of NULs, and PostgreSQL stores none.
    for data in (
        "name,province,district\n망원\x00시장,서울,마포구\n".encode(),
        "a".encode("utf-16"),
    ):
        with pytest.raises(csv_import.ImportFailed):
            csv_import.parse(data)
