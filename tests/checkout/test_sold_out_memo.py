"""The short memory of sold-out products: answers the crowd, never outlives the stock."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from checkout.models import Order
from checkout.soldout import SoldOutMemo
from server import keys
from tests.checkout.conftest import Shop, order_body
from tests.checkout.test_buying import post, stock_of


def test_entries_expire_and_can_be_forgotten() -> None:
    now = [100.0]
    memo = SoldOutMemo(ttl=2.0, clock=lambda: now[0])
    memo.remember(1, 7, "김치")
    assert memo.sold_out_name(1, 7) == "김치"
    assert memo.sold_out_name(2, 7) is None  # another show
    now[0] += 2.5
    assert memo.sold_out_name(1, 7) is None
    memo.remember(1, 7, "김치")
    memo.forget(7)
    assert memo.sold_out_name(1, 7) is None


async def test_a_released_unit_is_on_sale_again_at_once(shop: Shop) -> None:
    first, _ = await shop.shopper()
    status, _ = await post(
        first, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, 5)
    )
    assert status == 201
    late, _ = await shop.shopper()
    for _ in range(2):  # the second answer comes from the memory
        status, body = await post(
            late, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id)
        )
        assert status == 409 and body["error"]["code"] == "sold_out"
        assert "품절" in body["error"]["message"]
    async with shop.app[keys.sessionmaker].begin() as session:
        await session.execute(
            update(Order).values(reserved_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    assert await shop.app[keys.checkout].sweep_once() == 1
    assert await stock_of(shop) == 5
    status, _ = await post(late, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    assert status == 201


async def test_one_option_sold_out_leaves_the_others_on_sale(shop: Shop) -> None:
    merchant = await shop.as_merchant()
    _, product = await post(
        merchant,
        f"/api/stores/{shop.store.id}/products",
        {
            "name": "원목 도마",
            "price": 39000,
            "variants": [{"name": "소", "stock": 1}, {"name": "대", "stock": 2}],
        },
    )
    await post(merchant, f"/api/shows/{shop.show.id}/lineup", {"product_id": product["id"]})
    await post(merchant, f"/api/shows/{shop.show.id}/pin", {"product_id": product["id"]})
    small, large = (v["id"] for v in product["variants"])
    client, _ = await shop.shopper()

    def line(variant: int) -> dict[str, object]:
        body = order_body(product["id"])
        body["items"][0]["variant_id"] = variant
        return body

    assert (await post(client, f"/api/shows/{shop.show.id}/orders", line(small)))[0] == 201
    status, body = await post(client, f"/api/shows/{shop.show.id}/orders", line(small))
    assert status == 409 and body["error"]["code"] == "sold_out"
    assert (await post(client, f"/api/shows/{shop.show.id}/orders", line(large)))[0] == 201
