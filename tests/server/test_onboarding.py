"""The first-show guide's rules: signing up with a market, products typed on a number
pad, open slots booked once (a race has one winner), requests for other times, and the
day-of checklist."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from aiohttp import FormData
from sqlalchemy import select

from server import keys
from server.accounts import service as accounts
from server.accounts.models import AccountStatus, Role, Store, User
from server.db import utcnow
from server.markets.demo import seed_markets
from server.markets.models import Market
from server.onboarding import slots
from server.onboarding.errors import SlotTaken
from server.settings import Settings
from server.shows.models import Approval, Show
from tests.helpers import PASSWORD, AppClient, csrf, login_as, make_merchant, make_show, make_user


@pytest.fixture
async def db_client(any_db_settings: Settings, aiohttp_client: Any) -> AppClient:
    """A client of the app on SQLite, then on PostgreSQL."""
    from server.app import create_app

    client: AppClient = await aiohttp_client(create_app(any_db_settings))
    return client


async def _post(client: AppClient, path: str, data: dict[str, Any]) -> Any:
    return await client.post(path, data={**data, "_csrf": csrf(client)}, allow_redirects=False)


async def test_signing_up_places_the_store_in_its_market(client: AppClient) -> None:
    operator = await make_user(client.app, Role.OPERATOR)
    async with client.app[keys.sessionmaker].begin() as session:
        await seed_markets(session)
        mangwon = await session.scalar(select(Market).where(Market.name == "망원시장"))
    assert mangwon is not None
    await client.get("/start/signup")
    form = {
        "display_name": "김순자",
        "store_name": "순자네 반찬",
        "email": "soonja@example.kr",
        "password": PASSWORD,
    }
    no_market = await _post(client, "/start/signup", form)
    assert no_market.status == 422 and "시장을 고르거나" in await no_market.text()
    done = await _post(client, "/start/signup", {**form, "market_id": str(mangwon.id)})
    assert done.status == 200 and "가게가 등록되었어요" in await done.text()
    async with client.app[keys.sessionmaker]() as session:
        user = await accounts.get_user_by_email(session, "soonja@example.kr")
        assert user is not None and user.status is AccountStatus.PENDING
        store = await session.get(Store, user.store_id)
    assert store is not None and (store.market, store.region) == ("망원시장", "서울 마포구")
    await login_as(client, operator)
    notices = await (await client.get("/notifications")).text()
    assert "승인을 기다리는 새 가게: 순자네 반찬 (김순자)" in notices


async def test_products_from_the_phone_and_the_guides_progress(client: AppClient) -> None:
    merchant, _ = await make_merchant(client.app)
    creator = await make_user(client.app, Role.CREATOR)
    await login_as(client, creator)
    assert (await client.get("/start/products")).status == 403
    await client.post("/logout", data={"_csrf": csrf(client)})
    await login_as(client, merchant)
    start = await (await client.get("/start")).text()
    assert 'data-step="store" data-done="1"' in start and 'href="/start/products"' in start
    bad = await _post(client, "/start/products", {"name": "김치", "price": "만오천"})
    assert bad.status == 422 and "숫자로만" in await bad.text()
    for name, price in (("배추김치 1kg", "15,000"), ("총각김치", "18000원"), ("깍두기", "9000")):
        form = FormData()
        form.add_field("_csrf", csrf(client))
        form.add_field("name", name)
        form.add_field("price", price)
        form.add_field("stock", "20")
        resp = await client.post("/start/products", data=form)
        assert resp.status == 200
    page = await resp.text()
    assert "3개 중 3개 올림" in page and "₩15,000" in page
    start = await (await client.get("/start")).text()
    assert 'data-step="products" data-done="1"' in start and "방송 시간 고르기" in start


async def test_an_open_slot_books_an_approved_show_once(db_client: AppClient) -> None:
    client = db_client
    operator = await make_user(client.app, Role.OPERATOR)
    first, _ = await make_merchant(client.app, "첫째 가게")
    second, _ = await make_merchant(client.app, "둘째 가게")
    await login_as(client, first)
    start = utcnow() + dt.timedelta(days=2)
    assert (await _post(client, "/ops/slots", {"starts_at": "2030-01-01T19:00"})).status == 403
    await client.post("/logout", data={"_csrf": csrf(client)})
    await login_as(client, operator)
    past = await _post(client, "/ops/slots", {"starts_at": "2020-01-01T19:00"})
    assert past.status == 422 and "지났" in await past.text()
    async with client.app[keys.sessionmaker].begin() as session:
        slot = await slots.open_slot(session, operator, start, 60)

    # Two merchants tap the same slot at once: one show, one clear refusal.
    async def take(merchant: User) -> str:
        try:
            async with client.app[keys.sessionmaker].begin() as session:
                show = await slots.take_slot(session, merchant, slot.id, "라이브")
                return show.approval.value
        except SlotTaken:
            return "taken"

    outcomes = await asyncio.gather(take(first), take(second))
    assert sorted(outcomes) == ["approved", "taken"]
    # Either may win the race (on PostgreSQL both run at once): the loser goes on.
    loser = second if outcomes[1] == "taken" else first
    async with client.app[keys.sessionmaker]() as session:
        booked = list(await session.scalars(select(Show)))
        assert await slots.free_slots(session) == []
    assert len(booked) == 1 and booked[0].approval is Approval.APPROVED

    # The loser asks for another time instead: a request for an operator.
    await client.post("/logout", data={"_csrf": csrf(client)})
    await login_as(client, loser)
    gone = await _post(client, "/start/slot/take", {"slot_id": str(slot.id), "title": "라이브"})
    assert gone.status == 409 and "다른 가게가 이 시간을 예약" in await gone.text()
    asked = await _post(
        client,
        "/start/slot/request",
        {"title": "저녁 라이브", "scheduled_start": "2031-03-02T19:00"},
    )
    assert asked.status == 303 and asked.headers["Location"] == "/start/crew"
    async with client.app[keys.sessionmaker]() as session:
        requested = await session.scalar(select(Show).where(Show.title == "저녁 라이브"))
    assert requested is not None and requested.approval is Approval.REQUESTED


async def test_the_day_of_checklist_is_the_stores_own(client: AppClient) -> None:
    merchant, store = await make_merchant(client.app)
    other, _ = await make_merchant(client.app, "남의 가게")
    show = await make_show(client.app, store, title="첫 방송")
    await login_as(client, other)
    refused = await _post(
        client, "/start/day/tick", {"show_id": show.id, "item": "light", "done": "1"}
    )
    assert refused.status == 403
    await client.post("/logout", data={"_csrf": csrf(client)})
    await login_as(client, merchant)
    for item in ("light", "stand", "connection"):
        await _post(client, "/start/day/tick", {"show_id": show.id, "item": item, "done": "1"})
    unknown = await _post(client, "/start/day/tick", {"show_id": show.id, "item": "x", "done": "1"})
    assert unknown.status == 422
    day = await (await client.get("/start/day")).text()
    assert 'data-testid="all-done"' in day and f"/studio/shows/{show.id}" in day
    await _post(client, "/start/day/tick", {"show_id": show.id, "item": "stand", "done": "0"})
    assert 'data-testid="all-done"' not in await (await client.get("/start/day")).text()
