"""Reservations never oversell: many shoppers at once, on SQLite and PostgreSQL; flash-sale
caps and per-shopper limits; expiry by the sweeper."""

from __future__ import annotations

import asyncio
import datetime as dt

from pytest_aiohttp import AiohttpClient
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from checkout import catalog, orders
from checkout.models import FlashSale, Order, OrderStatus, Product
from server import keys
from server.settings import Settings
from tests.checkout.conftest import Shop, build_shop, order_body
from tests.checkout.test_buying import post, stock_of


async def _orders_by_status(shop: Shop) -> dict[str, int]:
    async with shop.app[keys.sessionmaker]() as session:
        rows = await session.execute(select(Order.status, func.count()).group_by(Order.status))
        return {status.value: count for status, count in rows}


async def test_twenty_shoppers_for_five_units_never_oversell(
    any_db_settings: Settings, localstripe_url: str, aiohttp_client: AiohttpClient
) -> None:
    shop = await build_shop(any_db_settings, localstripe_url, aiohttp_client, stock=5)
    shoppers = [await shop.shopper() for _ in range(20)]
    results = await asyncio.gather(
        *[
            post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
            for client, _ in shoppers
        ]
    )
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 5
    assert statuses.count(409) == 15
    assert all(body["error"]["code"] == "sold_out" for status, body in results if status == 409)
    assert "품절" in next(body["error"]["message"] for status, body in results if status == 409)
    assert await stock_of(shop) == 0
    assert await _orders_by_status(shop) == {"pending": 5}
    assert "product:sold_out" in {name for _, name, _ in shop.published}


async def test_flash_sale_cap_and_per_shopper_limit_hold_under_load(
    any_db_settings: Settings, localstripe_url: str, aiohttp_client: AiohttpClient
) -> None:
    shop = await build_shop(any_db_settings, localstripe_url, aiohttp_client, stock=100)
    merchant = await shop.as_merchant()
    status, state = await post(
        merchant,
        f"/api/shows/{shop.show.id}/sale",
        {"product_id": shop.product_id, "price": 9900, "cap": 6, "minutes": 5, "per_shopper": 2},
    )
    assert status == 200, state
    assert state["sale"]["remaining"] == 6 and state["pinned"]["id"] == shop.product_id
    shoppers = [await shop.shopper() for _ in range(10)]
    # Every shopper tries twice at once, one unit each: at most 2 each, 6 in total.
    attempts = [
        post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
        for client, _ in shoppers
        for _ in range(2)
    ]
    results = await asyncio.gather(*attempts)
    won = [body for status, body in results if status == 201]
    assert len(won) == 6
    assert all(body["total"] == 9900 for body in won)
    assert await stock_of(shop) == 94
    # One shopper already holding 2 is refused a third with the limit named.
    client = shoppers[0][0]
    status, body = await post(
        client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id)
    )
    assert status == 409 and body["error"]["code"] in ("sale_limit", "sold_out")
    async with shop.app[keys.sessionmaker]() as session:
        sale = await session.scalar(select(FlashSale))
        assert sale is not None and sale.claimed == 6


async def test_per_shopper_limit_is_named_in_the_error(shop: Shop) -> None:
    merchant = await shop.as_merchant()
    await post(
        merchant,
        f"/api/shows/{shop.show.id}/sale",
        {"product_id": shop.product_id, "price": 9900, "cap": 5, "minutes": 5, "per_shopper": 1},
    )
    client, _ = await shop.shopper()
    status, _ = await post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    assert status == 201
    status, body = await post(
        client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id)
    )
    assert status == 409 and body["error"]["code"] == "sale_limit"
    assert "1인당 1개" in body["error"]["message"]


async def test_expired_reservations_go_back_on_sale(shop: Shop) -> None:
    client, _ = await shop.shopper()
    _, order = await post(
        client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, 3)
    )
    assert await stock_of(shop) == 2
    assert await shop.app[keys.checkout].sweep_once() == 0  # not yet expired
    async with shop.app[keys.sessionmaker].begin() as session:
        await session.execute(
            update(Order).values(reserved_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    assert await shop.app[keys.checkout].sweep_once() == 1
    assert await stock_of(shop) == 5
    body = await (await client.get(f"/api/orders/{order['id']}")).json()
    assert body["status"] == "cancelled"
    # An expired order cannot be paid any more.
    status, body = await post(
        client, f"/api/orders/{order['id']}/pay", {"card_token": "tok_anything"}
    )
    assert status == 409 and body["error"]["code"] == "order_not_payable"
    assert "현재 상태: 결제 실패" in body["error"]["message"]  # a word, not `cancelled`
    assert await shop.app[keys.checkout].sweep_once() == 0  # releasing twice returns nothing twice


async def test_the_sweeper_runs_by_itself(
    settings: Settings, localstripe_url: str, aiohttp_client: AiohttpClient
) -> None:
    shop = await build_shop(settings, localstripe_url, aiohttp_client, sweep_every=0.05)
    client, _ = await shop.shopper()
    await post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, 2))
    async with shop.app[keys.sessionmaker].begin() as session:
        await session.execute(
            update(Order).values(reserved_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    for _ in range(100):
        if await stock_of(shop) == 5:
            break
        await asyncio.sleep(0.05)
    assert await stock_of(shop) == 5


async def test_check_constraint_refuses_negative_stock(
    any_db_settings: Settings, localstripe_url: str, aiohttp_client: AiohttpClient
) -> None:
    shop = await build_shop(any_db_settings, localstripe_url, aiohttp_client, stock=1)
    try:
        async with shop.app[keys.sessionmaker].begin() as session:
            await session.execute(update(Product).values(stock=Product.stock - 2))
    except IntegrityError:
        pass
    else:
        raise AssertionError("stock went below zero")
    assert await stock_of(shop) == 1


async def test_release_is_done_once_even_when_raced(shop: Shop) -> None:
    client, _ = await shop.shopper()
    _, order = await post(
        client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, 2)
    )

    async def release() -> bool:
        async with shop.app[keys.sessionmaker].begin() as session:
            return await orders.release(session, order["id"], orders.NOTE_EXPIRED)

    done = await asyncio.gather(*[release() for _ in range(5)])
    assert done.count(True) == 1
    assert await stock_of(shop) == 5
    async with shop.app[keys.sessionmaker]() as session:
        found = await orders.get_order(session, order["id"])
        assert found.status is OrderStatus.CANCELLED
        assert (await catalog.get_product(session, shop.product_id)).stock == 5


async def test_a_sale_that_runs_out_of_time_ends_for_everyone(shop: Shop) -> None:
    merchant = await shop.as_merchant()
    started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    status, state = await post(
        merchant,
        f"/api/shows/{shop.show.id}/sale",
        {"product_id": shop.product_id, "price": 9900, "cap": 3, "minutes": 1},
    )
    assert status == 200
    async with shop.app[keys.sessionmaker].begin() as session:
        await session.execute(
            update(FlashSale).values(ends_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    assert await shop.app[keys.checkout].announce_ended_sales(started, dt.datetime.now(dt.UTC)) == 1
    ended = [p for _, name, p in shop.published if name == "sale:ended"]
    assert ended and ended[0]["sale_id"] == state["sale"]["id"]
    # After the sale the regular price applies again, decided by the server.
    client, _ = await shop.shopper()
    _, order = await post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    assert order["total"] == 15000


async def test_viewers_hear_the_units_left_after_an_order_of_two_options(shop: Shop) -> None:
    merchant = await shop.as_merchant()
    _, product = await post(
        merchant,
        f"/api/stores/{shop.store.id}/products",
        {
            "name": "원목 도마",
            "price": 39000,
            "variants": [{"name": "소", "stock": 3}, {"name": "대", "stock": 2}],
        },
    )
    await post(merchant, f"/api/shows/{shop.show.id}/lineup", {"product_id": product["id"]})
    await post(merchant, f"/api/shows/{shop.show.id}/pin", {"product_id": product["id"]})
    small, large = (v["id"] for v in product["variants"])
    client, _ = await shop.shopper()
    body = order_body(product["id"])
    body["items"] = [
        {"product_id": product["id"], "variant_id": small, "quantity": 1},
        {"product_id": product["id"], "variant_id": large, "quantity": 2},
    ]
    status, order = await post(client, f"/api/shows/{shop.show.id}/orders", body)
    assert status == 201, order
    news = [p for _, name, p in shop.published if name == "stock:changed"]
    assert news[-1] == {**news[-1], "product_id": product["id"], "available": 2}
