"""Item 11: the seller's identity on the show page, the replay and the receipt; no show
goes public without it, verified by an operator; the platform's identity and its role
as an intermediary in every page's footer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient

from checkout.models import Order, OrderLine, OrderStatus, Product
from server import keys
from server.accounts.models import Role
from server.app import create_app
from server.db import utcnow
from server.settings import Settings, SettingsError
from server.shows import service as shows
from server.shows.models import Approval, ShowState
from server.trust.business_number import is_valid
from server.trust.errors import SellerNotVerified
from tests.helpers import (
    AppClient,
    ServerClient,
    app_of,
    csrf,
    login_as,
    make_show,
    make_store,
    make_user,
)

IDENTITY = {
    "business_name": "주식회사 망원반찬",
    "representative": "김순자",
    "business_number": "220-81-62517",
    "mail_order_number": "2024-서울마포-0123",
    "business_address": "서울특별시 마포구 망원로 8길 12",
    "business_phone": "02-332-1234",
    "business_email": "",
}


def test_the_business_number_check_digit() -> None:
    assert is_valid("124-81-00998") and is_valid("2208162517")
    assert not is_valid("124-81-00999")  # one digit off
    assert not is_valid("124-81-0099") and not is_valid("abc-de-fghij")


def test_the_platforms_number_is_checked_at_start() -> None:
    with pytest.raises(SettingsError, match="PLATFORM_BUSINESS_NUMBER"):
        Settings.from_mapping({"PLATFORM_BUSINESS_NUMBER": "124-81-00999"})
    ok = Settings.from_mapping({"PLATFORM_BUSINESS_NUMBER": "1248100998"})
    assert ok.platform_business_number == "124-81-00998"


async def test_no_public_show_until_an_operator_verifies_the_seller(
    client: AppClient, aiohttp_client: AiohttpClient
) -> None:
    app = app_of(client)
    store = await make_store(app, "망원 반찬", verified_seller=False)
    merchant = await make_user(app, Role.MERCHANT, store_id=store.id)
    operator = await make_user(app, Role.OPERATOR)
    show = await make_show(app, store)
    await login_as(client, merchant)
    studio = await (await client.get(f"/studio/shows/{show.id}")).text()
    assert 'data-testid="seller-not-verified"' in studio and 'href="/merchant/identity"' in studio

    refused = await client.post(
        f"/shows/{show.id}/stream/public", headers={"X-CSRF-Token": csrf(client)}
    )
    assert refused.status == 409
    assert "운영자의 확인" in await refused.text()
    # The same gate when an encoder's stream arrives (WHIP starts the show itself).
    with pytest.raises(SellerNotVerified):
        async with app[keys.sessionmaker].begin() as session:
            await shows.system_transition(session, show.id, "start")

    # A wrong check digit is refused with the reason, and what was typed stays.
    bad = await client.post(
        "/merchant/identity",
        data={**IDENTITY, "business_number": "220-81-62518", "_csrf": csrf(client)},
    )
    page = await bad.text()
    assert bad.status == 422 and "올바른 사업자등록번호" in page and "주식회사 망원반찬" in page

    saved = await client.post(
        "/merchant/identity", data={**IDENTITY, "_csrf": csrf(client)}, allow_redirects=False
    )
    assert saved.status == 303
    assert "운영자 확인 대기 중" in await (await client.get("/merchant/identity")).text()
    still = await client.post(
        f"/shows/{show.id}/stream/public", headers={"X-CSRF-Token": csrf(client)}
    )
    assert still.status == 409

    # A merchant cannot verify themself; an operator does, from the console.
    self_check = await client.post(
        f"/ops/sellers/{store.id}/verify", data={"verified": "1", "_csrf": csrf(client)}
    )
    assert self_check.status == 403
    ops: ServerClient = await aiohttp_client(client.server)
    await login_as(ops, operator)
    listing = await (await ops.get("/ops/sellers")).text()
    assert "220-81-62517" in listing and f'data-testid="verify-{store.id}"' in listing
    verified = await ops.post(
        f"/ops/sellers/{store.id}/verify",
        data={"verified": "1", "_csrf": csrf(ops)},
        allow_redirects=False,
    )
    assert verified.status == 303

    live = await client.post(
        f"/shows/{show.id}/stream/public", headers={"X-CSRF-Token": csrf(client)}
    )
    assert live.status == 200, await live.text()
    studio = await (await client.get(f"/studio/shows/{show.id}")).text()
    assert 'data-testid="seller-not-verified"' not in studio

    # Changing the details afterwards asks for a new check.
    await client.post(
        "/merchant/identity",
        data={**IDENTITY, "business_phone": "02-332-9999", "_csrf": csrf(client)},
    )
    async with app[keys.sessionmaker]() as session:
        show2 = await shows.get_show(session, show.id)
    assert not show2.store.identity_verified


async def test_an_operator_cannot_approve_a_slot_request_of_an_unverified_seller(
    client: AppClient,
) -> None:
    app = app_of(client)
    store = await make_store(app, "성수 공방", verified_seller=False)
    merchant = await make_user(app, Role.MERCHANT, store_id=store.id)
    operator = await make_user(app, Role.OPERATOR)
    async with app[keys.sessionmaker].begin() as session:
        request = await shows.create_show(
            session,
            merchant,
            store_id=store.id,
            title="도마 라이브",
            scheduled_start=utcnow() + dt.timedelta(days=2),
        )
    assert request.approval is Approval.REQUESTED
    await login_as(client, operator)
    answer = await client.post(f"/shows/{request.id}/approve", data={"_csrf": csrf(client)})
    assert answer.status == 409 and "성수 공방" in await answer.text()
    async with app[keys.sessionmaker]() as session:
        assert (await shows.get_show(session, request.id)).approval is Approval.REQUESTED


async def test_the_seller_and_the_platform_are_named_where_shoppers_buy(
    tmp_path: Path, settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    app = create_app(
        settings.with_(
            platform_business_name="장터라이브 주식회사",
            platform_business_number="124-81-00998",
            platform_phone="1588-0000",
        )
    )
    client = await aiohttp_client(app)
    store = await make_store(app, "망원 반찬", verified_seller=False)
    merchant = await make_user(app, Role.MERCHANT, store_id=store.id)
    await login_as(client, merchant)
    await client.post("/merchant/identity", data={**IDENTITY, "_csrf": csrf(client)})
    live_show = await make_show(app, store)
    ended = await make_show(app, store, title="지난 방송")
    shopper = await make_user(app)
    async with app[keys.sessionmaker].begin() as session:
        for s in (await shows.get_show(session, ended.id),):
            s.state, s.started_at, s.ended_at = ShowState.ENDED, utcnow(), utcnow()
        product = Product(store_id=store.id, name="깍두기", price=9000, stock=5)
        session.add(product)
        await session.flush()
        order = Order(
            user_id=shopper.id,
            store_id=store.id,
            show_id=ended.id,
            status=OrderStatus.PAID,
            total=9000,
            reserved_until=utcnow(),
            recipient_name="이영희",
            phone="010-1234-5678",
            postcode="04001",
            address="서울 마포구 망원로 1",
            paid_at=utcnow(),
        )
        order.lines = [
            OrderLine(product_id=product.id, quantity=1, unit_price=9000, product_name="깍두기")
        ]
        session.add(order)
    anonymous: ServerClient = await aiohttp_client(client.server)
    for path in (f"/shows/{live_show.id}", f"/shows/{ended.id}"):
        page = await (await anonymous.get(path)).text()
        assert 'data-testid="seller-identity"' in page, path
        assert (
            "주식회사 망원반찬" in page and "220-81-62517" in page and "2024-서울마포-0123" in page
        )
    await login_as(anonymous, shopper)
    receipt = await (await anonymous.get(f"/orders/{order.id}")).text()
    assert "주식회사 망원반찬" in receipt and "김순자" in receipt and "02-332-1234" in receipt
    for path in ("/", "/login", "/upcoming", f"/orders/{order.id}", "/no-such-page"):
        page = await (await anonymous.get(path)).text()
        assert "장터라이브 주식회사는 통신판매중개자이며 통신판매의 당사자가 아닙니다" in page, path
        assert "124-81-00998" in page and "1588-0000" in page, path
