"""Group commit: reservations waiting together share one write transaction, each in its
own savepoint, and a refused one takes nothing from the others."""

from __future__ import annotations

import asyncio

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.group_commit import GroupCommit
from checkout.models import Order, Product
from server import keys
from server.settings import Settings
from tests.checkout.conftest import Shop, build_shop, order_body
from tests.checkout.test_buying import post, stock_of


async def test_a_refused_reservation_rolls_back_alone_in_a_shared_transaction(
    any_db_settings: Settings, localstripe_url: str, aiohttp_client: AiohttpClient
) -> None:
    shop = await build_shop(any_db_settings, localstripe_url, aiohttp_client, stock=5)
    writer: GroupCommit[int] = GroupCommit(shop.app[keys.sessionmaker])

    async def take(session: AsyncSession, units: int) -> int:
        product = await session.get(Product, shop.product_id)
        assert product is not None
        product.stock -= units
        await session.flush()  # CHECK(stock >= 0) refuses what is not there
        return product.stock

    def taking(units: int) -> object:
        return lambda session: take(session, units)

    answers = await asyncio.gather(
        writer.run(taking(2)),  # type: ignore[arg-type]
        writer.run(taking(9)),  # type: ignore[arg-type]
        writer.run(taking(1)),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    assert answers[0] == 3 and answers[2] == 2
    assert isinstance(answers[1], Exception)
    assert writer.batches == 1  # the three waited together: one transaction
    assert await stock_of(shop) == 2


async def test_the_queue_after_the_last_unit_is_answered_from_memory(
    any_db_settings: Settings, localstripe_url: str, aiohttp_client: AiohttpClient
) -> None:
    shop = await build_shop(any_db_settings, localstripe_url, aiohttp_client, stock=3)
    crowd = [(await shop.shopper())[0] for _ in range(12)]
    answers = await asyncio.gather(
        *[post(c, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id)) for c in crowd]
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] * 3 + [409] * 9
    refused = [body for status, body in answers if status == 409]
    assert {body["error"]["code"] for body in refused} == {"sold_out"}
    assert all("품절" in body["error"]["message"] for body in refused)
    assert await stock_of(shop) == 0
    async with shop.app[keys.sessionmaker]() as session:
        assert await session.scalar(select(func.count(Order.id))) == 3


async def test_two_units_refused_for_the_last_one_do_not_mark_it_sold_out(shop: Shop) -> None:
    first, _ = await shop.shopper()
    assert (await post(first, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, 4)))[
        0
    ] == 201
    greedy, _ = await shop.shopper()
    status, body = await post(
        greedy, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, 2)
    )
    assert status == 409 and body["error"]["code"] == "sold_out"
    last, _ = await shop.shopper()  # one unit is still there: not "sold out" from memory
    status, _ = await post(last, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    assert status == 201 and await stock_of(shop) == 0


async def test_a_lone_reservation_is_answered_whether_taken_or_refused(shop: Shop) -> None:
    writer: GroupCommit[int] = GroupCommit(shop.app[keys.sessionmaker])

    async def take(session: AsyncSession, units: int) -> int:
        product = await session.get(Product, shop.product_id)
        assert product is not None
        product.stock -= units
        await session.flush()
        return product.stock

    with pytest.raises(IntegrityError):  # CHECK(stock >= 0): nothing taken
        await writer.run(lambda session: take(session, 9))
    assert await writer.run(lambda session: take(session, 1)) == 4
    assert writer.batches == 1 and await stock_of(shop) == 4
