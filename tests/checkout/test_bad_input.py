"""Bad input gets a clear error in the shopper's language, and nothing is lost or
duplicated: no order, no payment, no stock unit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from checkout import catalog
from checkout.models import Order
from server import keys
from server.shows import service as shows
from tests.checkout.conftest import SHIPPING, Shop, order_body
from tests.checkout.test_buying import post, stock_of
from tests.helpers import csrf, make_merchant, make_show
from tests.localstripe import TEST_CARDS, card_token


async def order_count(shop: Shop) -> int:
    async with shop.app[keys.sessionmaker]() as session:
        return int(await session.scalar(select(func.count(Order.id))) or 0)


@pytest.mark.parametrize("quantity", [0, -1, 6, 10**12, "2", 1.5, True, None])
async def test_bad_quantities_are_refused(shop: Shop, quantity: Any) -> None:
    client, _ = await shop.shopper()
    status, body = await post(
        client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, quantity)
    )
    # A number of the wrong JSON type ("2", 1.5, true, null) cannot be read: 400; a
    # whole number out of bounds is invalid: 422.
    wrong_type = not isinstance(quantity, int) or isinstance(quantity, bool)
    assert status == (400 if wrong_type else 422), body
    assert body["error"]["field"] == "quantity"
    assert "정수를 입력하세요" in body["error"]["message"]
    assert await stock_of(shop) == 5 and await order_count(shop) == 0


async def test_prices_and_totals_from_the_client_are_ignored(shop: Shop) -> None:
    client, _ = await shop.shopper()
    body = order_body(shop.product_id, 1, total=100, amount=100)
    body["items"][0]["price"] = 1
    body["items"][0]["unit_price"] = 1
    status, order = await post(client, f"/api/shows/{shop.show.id}/orders", body)
    assert status == 201 and order["total"] == 15000
    assert order["lines"][0]["unit_price"] == 15000


async def test_bad_shipping_names_the_field(shop: Shop) -> None:
    client, _ = await shop.shopper()
    for field, value, words in [
        ("postcode", "1234", "우편번호"),
        ("phone", "12", "휴대폰"),
        ("name", "", "받는 분"),
        ("address", " ", "주소"),
    ]:
        body = order_body(shop.product_id)
        body[field] = value
        status, answer = await post(client, f"/api/shows/{shop.show.id}/orders", body)
        assert status == 422 and answer["error"]["field"] == field
        assert words in answer["error"]["message"]
    assert await order_count(shop) == 0


async def test_line_up_product_never_pinned_cannot_be_bought(shop: Shop) -> None:
    async with shop.app[keys.sessionmaker].begin() as session:
        hidden = await catalog.create_product(
            session,
            shop.merchant,
            shop.store.id,
            catalog.ProductInput(name="비밀 반찬", price=5000, stock=9),
        )
        show = await shows.get_show(session, shop.show.id)
        await catalog.add_to_lineup(session, shop.merchant, show, hidden.id)
    client, _ = await shop.shopper()
    status, body = await post(client, f"/api/shows/{shop.show.id}/orders", order_body(hidden.id))
    assert status == 409 and body["error"]["code"] == "not_on_sale"
    assert "판매 중이 아닙니다" in body["error"]["message"]
    assert await order_count(shop) == 0


async def test_cart_buys_products_shown_earlier_in_one_order(shop: Shop) -> None:
    merchant = await shop.as_merchant()
    status, second = await post(
        merchant,
        f"/api/stores/{shop.store.id}/products",
        {"name": "총각김치 1kg", "price": 18000, "stock": 4},
    )
    assert status == 201
    await post(merchant, f"/api/shows/{shop.show.id}/lineup", {"product_id": second["id"]})
    await post(merchant, f"/api/shows/{shop.show.id}/pin", {"product_id": second["id"]})
    await post(merchant, f"/api/shows/{shop.show.id}/unpin", {})
    client, _ = await shop.shopper()
    body = order_body(shop.product_id, 2)
    body["items"].append({"product_id": second["id"], "quantity": 1})
    status, order = await post(client, f"/api/shows/{shop.show.id}/orders", body)
    assert status == 201, order
    assert order["total"] == 2 * 15000 + 18000
    assert [line["product_name"] for line in order["lines"]] == ["김장 김치 2kg", "총각김치 1kg"]
    # One sold-out line takes the whole order back: nothing is half-reserved.
    body = order_body(shop.product_id, 1)
    body["items"].append({"product_id": second["id"], "quantity": 4})
    status, answer = await post(client, f"/api/shows/{shop.show.id}/orders", body)
    assert status == 409 and answer["error"]["code"] == "sold_out"
    assert await stock_of(shop) == 3


async def test_product_of_another_show_and_a_hidden_replay_are_refused(shop: Shop) -> None:
    other_show = await make_show(shop.app, shop.store, title="다른 방송")
    client, _ = await shop.shopper()
    status, body = await post(
        client, f"/api/shows/{other_show.id}/orders", order_body(shop.product_id)
    )
    assert status == 409 and body["error"]["code"] == "not_on_sale"
    async with shop.app[keys.sessionmaker].begin() as session:
        show = await shows.get_show(session, shop.show.id)
        await shows.transition(session, shop.merchant, show, "end")
        show.replay_hidden = True
    status, body = await post(
        client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id)
    )
    assert status == 409 and body["error"]["code"] == "not_on_sale"
    assert await stock_of(shop) == 5 and await order_count(shop) == 0


async def test_what_the_show_presented_stays_buyable_from_its_replay(shop: Shop) -> None:
    async with shop.app[keys.sessionmaker].begin() as session:
        show = await shows.get_show(session, shop.show.id)
        await shows.transition(session, shop.merchant, show, "end")
    client, _ = await shop.shopper()
    status, body = await post(
        client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id)
    )
    assert status == 201, body
    assert await stock_of(shop) == 4


async def test_sold_out_product_is_refused(shop: Shop) -> None:
    client, _ = await shop.shopper()
    assert (
        await post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, 5))
    )[0] == 201
    status, body = await post(
        client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, 1)
    )
    assert status == 409 and body["error"]["code"] == "sold_out"


async def test_another_shoppers_order_is_not_found(shop: Shop) -> None:
    owner, _ = await shop.shopper()
    _, order = await post(owner, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    thief, _ = await shop.shopper()
    resp = await thief.get(f"/api/orders/{order['id']}")
    assert resp.status == 404
    token = await card_token(shop.stripe, TEST_CARDS["success"])
    status, body = await post(thief, f"/api/orders/{order['id']}/pay", {"card_token": token})
    assert status == 404 and body["error"]["code"] == "order_not_found"
    status, _ = await post(thief, f"/api/orders/{order['id']}/cancel", {})
    assert status == 404
    assert (await (await owner.get(f"/api/orders/{order['id']}")).json())["status"] == "pending"
    assert (await thief.get(f"/orders/{order['id']}")).status == 404


async def test_shopper_calling_merchant_endpoints_is_refused(shop: Shop) -> None:
    client, _ = await shop.shopper()
    _, order = await post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    attempts: list[tuple[str, dict[str, Any]]] = [
        (f"/api/shows/{shop.show.id}/pin", {"product_id": shop.product_id}),
        (f"/api/shows/{shop.show.id}/unpin", {}),
        (
            f"/api/shows/{shop.show.id}/sale",
            {"product_id": shop.product_id, "price": 1, "cap": 1, "minutes": 1},
        ),
        (f"/api/stores/{shop.store.id}/products", {"name": "x", "price": 1}),
        (f"/api/merchant/orders/{order['id']}/refund", {"amount": 1}),
        (f"/api/merchant/orders/{order['id']}/status", {"status": "preparing"}),
    ]
    for path, body in attempts:
        status, answer = await post(client, path, body)
        assert status in (403, 404), (path, status, answer)
        assert answer["error"]["message"]
    assert (await client.get(f"/api/shows/{shop.show.id}/orders")).status == 403
    assert (await client.get("/merchant/orders")).status == 403


async def test_missing_csrf_and_anonymous_buyers_are_refused(shop: Shop) -> None:
    client, _ = await shop.shopper()
    resp = await client.post(f"/api/shows/{shop.show.id}/orders", json=order_body(shop.product_id))
    assert resp.status == 403
    anonymous = await shop.make_client()
    await anonymous.get("/login")
    resp = await anonymous.post(
        f"/api/shows/{shop.show.id}/orders",
        json=order_body(shop.product_id),
        headers={"X-CSRF-Token": csrf(anonymous)},
    )
    assert resp.status == 401
    assert await order_count(shop) == 0


async def test_refund_larger_than_paid_is_refused_and_partial_refunds_add_up(shop: Shop) -> None:
    client, _ = await shop.shopper()
    _, order = await post(
        client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, 2)
    )
    token = await card_token(shop.stripe, TEST_CARDS["success"])
    await post(client, f"/api/orders/{order['id']}/pay", {"card_token": token})
    merchant = await shop.as_merchant()
    path = f"/api/merchant/orders/{order['id']}/refund"
    status, body = await post(merchant, path, {"amount": 30001})
    assert status == 422 and body["error"]["code"] == "refund_too_large"
    assert "₩30,000" in body["error"]["message"]
    for bad in (0, -5):
        assert (await post(merchant, path, {"amount": bad}))[0] == 422
    assert (await post(merchant, path, {"amount": "lots"}))[0] == 400  # not a number
    status, body = await post(merchant, path, {"amount": 10000})
    assert status == 200 and body["status"] == "paid" and body["refunded_amount"] == 10000
    status, body = await post(merchant, path, {"amount": 20001})
    assert status == 422 and "₩20,000" in body["error"]["message"]
    status, body = await post(merchant, path, {"amount": 20000})
    assert status == 200 and body["status"] == "refunded" and body["refunded_amount"] == 30000
    status, body = await post(merchant, path, {"amount": 1})
    assert status == 409


async def test_refund_of_unpaid_order_is_refused(shop: Shop) -> None:
    client, _ = await shop.shopper()
    _, order = await post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    merchant = await shop.as_merchant()
    status, body = await post(
        merchant, f"/api/merchant/orders/{order['id']}/refund", {"amount": 100}
    )
    assert status == 409 and body["error"]["code"] == "illegal_order_change"


async def test_merchant_moves_an_order_through_shipping(shop: Shop) -> None:
    client, _ = await shop.shopper()
    _, order = await post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    merchant = await shop.as_merchant()
    path = f"/api/merchant/orders/{order['id']}/status"
    status, body = await post(merchant, path, {"status": "shipped", "tracking_number": "1234"})
    assert status == 409  # not paid yet
    token = await card_token(shop.stripe, TEST_CARDS["success"])
    await post(client, f"/api/orders/{order['id']}/pay", {"card_token": token})
    assert (await post(merchant, path, {"status": "preparing"}))[1]["status"] == "preparing"
    status, body = await post(merchant, path, {"status": "shipped"})
    assert status == 422 and body["error"]["field"] == "tracking_number"
    status, body = await post(
        merchant, path, {"status": "shipped", "tracking_number": "6543-2100-1234"}
    )
    assert status == 200 and body["tracking_number"] == "6543-2100-1234"
    assert (await post(merchant, path, {"status": "delivered"}))[1]["status"] == "delivered"
    assert (await post(merchant, path, {"status": "bogus"}))[0] == 422


async def test_other_stores_product_cannot_join_the_lineup(shop: Shop) -> None:
    other_merchant, other_store = await make_merchant(shop.app, "다른 가게")
    async with shop.app[keys.sessionmaker].begin() as session:
        foreign = await catalog.create_product(
            session,
            other_merchant,
            other_store.id,
            catalog.ProductInput(name="남의 상품", price=1000, stock=1),
        )
    merchant = await shop.as_merchant()
    status, body = await post(
        merchant, f"/api/shows/{shop.show.id}/lineup", {"product_id": foreign.id}
    )
    assert status == 422 and "이 가게의 상품만" in body["error"]["message"]


async def test_product_input_is_checked(shop: Shop) -> None:
    merchant = await shop.as_merchant()
    path = f"/api/stores/{shop.store.id}/products"
    for body, field in [
        ({"name": "", "price": 1000}, "name"),
        ({"name": "x", "price": 0}, "price"),
        ({"name": "x", "price": 1000, "stock": -1}, "stock"),
        ({"name": "x", "price": 10**10}, "price"),
    ]:
        status, answer = await post(merchant, path, body)
        assert status == 422 and answer["error"]["field"] == field
    status, product = await post(
        merchant,
        path,
        {
            "name": "수제 도마",
            "price": 39000,
            "variants": [{"name": "소", "stock": 3}, {"name": "대", "stock": 2}],
        },
    )
    assert status == 201 and product["available"] == 5
    assert [v["name"] for v in product["variants"]] == ["소", "대"]


async def test_english_shoppers_get_english_errors(shop: Shop) -> None:
    client, _ = await shop.shopper()
    await client.post("/lang", data={"locale": "en", "_csrf": csrf(client), "next": "/"})
    body = dict(order_body(shop.product_id), **{"postcode": "abc"})
    status, answer = await post(client, f"/api/shows/{shop.show.id}/orders", body)
    assert status == 422 and answer["error"]["message"] == "Enter the 5-digit postcode."
    assert SHIPPING["postcode"] == "04001"
