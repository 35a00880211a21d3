"""A shopper buys the pinned product and pays against localstripe: success, decline and
3-D Secure, with the stock and the merchant's feed following along."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from checkout import catalog
from server import keys
from server.keys import checkout_config as config
from server.localstripe_process import LOCALSTRIPE_KEY
from tests.checkout.conftest import Shop, order_body
from tests.helpers import Browser, csrf
from tests.localstripe import TEST_CARDS, authenticate_3ds, card_token


async def post(client: Browser, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    resp = await client.post(path, json=body, headers={"X-CSRF-Token": csrf(client)})
    return resp.status, await resp.json()


async def stock_of(shop: Shop) -> int:
    async with shop.app[keys.sessionmaker]() as session:
        return (await catalog.get_product(session, shop.product_id)).available


async def wait_for_status(client: Browser, order_id: int, status: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(100):
        body = await (await client.get(f"/api/orders/{order_id}")).json()
        if body["status"] == status:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"order {order_id} stayed {body.get('status')}, wanted {status}")


async def test_card_payment_marks_the_order_paid_and_tells_the_merchant(shop: Shop) -> None:
    client, _ = await shop.shopper("민수진")
    status, order = await post(
        client,
        f"/api/shows/{shop.show.id}/orders",
        order_body(shop.product_id, 2, total=1, price=1),
    )
    assert status == 201, order
    assert order["status"] == "pending" and order["total"] == 30000  # client total ignored
    assert await stock_of(shop) == 3

    token = await card_token(shop.stripe, TEST_CARDS["success"])
    status, paid = await post(client, f"/api/orders/{order['id']}/pay", {"card_token": token})
    assert status == 200, paid
    assert paid["status"] == "paid"
    feed = [p for (_, name, p) in shop.published if name == "order:paid"]
    assert feed and feed[0]["order_id"] == order["id"] and feed[0]["buyer"] == "민**"

    merchant = await shop.as_merchant()
    listed = await (await merchant.get(f"/api/shows/{shop.show.id}/orders")).json()
    assert [o["order_id"] for o in listed] == [order["id"]]
    # The webhook from localstripe arrives later and changes nothing.
    await asyncio.sleep(1.5)
    again = await wait_for_status(client, order["id"], "paid")
    assert again["total"] == 30000 and await stock_of(shop) == 3


async def test_declined_card_frees_the_stock_with_a_clear_message(shop: Shop) -> None:
    client, _ = await shop.shopper()
    _, order = await post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    assert await stock_of(shop) == 4
    token = await card_token(shop.stripe, TEST_CARDS["declined"])
    status, body = await post(client, f"/api/orders/{order['id']}/pay", {"card_token": token})
    assert status == 402
    assert body["error"]["code"] == "card_declined"
    assert "카드" in body["error"]["message"]
    assert await stock_of(shop) == 5
    cancelled = await wait_for_status(client, order["id"], "cancelled")
    assert cancelled["total"] == 15000
    # The payment_failed webhook that follows finds nothing left to do.
    await asyncio.sleep(1.5)
    assert await stock_of(shop) == 5


async def test_a_declined_card_is_a_failed_payment_not_a_cancelled_order(shop: Shop) -> None:
    client, _ = await shop.shopper()
    _, paid = await post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    token = await card_token(shop.stripe, TEST_CARDS["success"])
    assert (await post(client, f"/api/orders/{paid['id']}/pay", {"card_token": token}))[0] == 200
    _, failed = await post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    token = await card_token(shop.stripe, TEST_CARDS["declined"])
    assert (await post(client, f"/api/orders/{failed['id']}/pay", {"card_token": token}))[0] == 402

    mine = await (await client.get("/orders")).text()
    card = mine.split(f'data-testid="order-{failed["id"]}"')[1].split("</a>")[0]
    assert "결제 실패" in card and "취소됨" not in card
    assert "결제되지 않았습니다" in card  # and it says no money was taken
    assert f"주문 #{failed['id']}" in card and shop.store.name in card

    # To the store it is no order at all: the list shows what was paid.
    merchant = await shop.as_merchant()
    listed = await (await merchant.get("/merchant/orders")).text()
    assert f'data-order-id="{paid["id"]}"' in listed
    assert f'data-order-id="{failed["id"]}"' not in listed
    assert ">cancelled<" not in listed and ">pending<" not in listed  # tabs: words
    csv_text = await (await merchant.get("/merchant/orders.csv")).text()
    assert len(csv_text.strip().splitlines()) == 2  # the header and the paid order


async def test_three_d_secure_payment_is_paid_after_authentication(shop: Shop) -> None:
    client, _ = await shop.shopper()
    _, order = await post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    token = await card_token(shop.stripe, TEST_CARDS["three_d_secure"])
    status, body = await post(client, f"/api/orders/{order['id']}/pay", {"card_token": token})
    assert status == 200 and body["status"] == "pending"
    secret = body["next_action"]["client_secret"]
    await authenticate_3ds(shop.stripe, secret, success=True)
    # Only the signed webhook can tell us now.
    paid = await wait_for_status(client, order["id"], "paid")
    assert paid["paid_at"]
    assert await stock_of(shop) == 4


async def test_failed_three_d_secure_then_cancel_frees_the_stock(shop: Shop) -> None:
    client, _ = await shop.shopper()
    _, order = await post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    token = await card_token(shop.stripe, TEST_CARDS["three_d_secure"])
    _, body = await post(client, f"/api/orders/{order['id']}/pay", {"card_token": token})
    await authenticate_3ds(shop.stripe, body["next_action"]["client_secret"], success=False)
    status, cancelled = await post(client, f"/api/orders/{order['id']}/cancel", {})
    assert status == 200 and cancelled["status"] == "cancelled"
    assert await stock_of(shop) == 5


async def test_paying_twice_at_once_charges_once(shop: Shop) -> None:
    client, _ = await shop.shopper()
    _, order = await post(client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id))
    token = await card_token(shop.stripe, TEST_CARDS["success"])
    answers = await asyncio.gather(
        *[post(client, f"/api/orders/{order['id']}/pay", {"card_token": token}) for _ in range(3)]
    )
    assert [status for status, _ in answers].count(200) >= 1
    assert all(
        status == 200 or body["error"]["code"] == "payment_in_progress" for status, body in answers
    )
    paid = await wait_for_status(client, order["id"], "paid")
    assert paid["total"] == 15000
    assert await stock_of(shop) == 4
    # Paying again later answers the paid order and charges nothing more.
    status, again = await post(client, f"/api/orders/{order['id']}/pay", {"card_token": token})
    assert status == 200 and again["status"] == "paid"
    assert await intents_for(shop, order["id"]) == 1


async def intents_for(shop: Shop, order_id: int) -> int:
    """How many PaymentIntents localstripe holds for this app's order."""
    instance = shop.app[config].webhook_name
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{shop.stripe}/v1/payment_intents?limit=100",
            headers={"Authorization": f"Bearer {LOCALSTRIPE_KEY}"},
        ) as resp,
    ):
        intents = (await resp.json())["data"]
    return sum(
        1
        for pi in intents
        if pi["metadata"].get("shop") == instance
        and pi["metadata"].get("order_id") == str(order_id)
    )


async def test_a_double_tap_or_a_retry_with_the_sheets_key_is_one_order(shop: Shop) -> None:
    client, _ = await shop.shopper()
    url = f"/api/shows/{shop.show.id}/orders"
    body = order_body(shop.product_id, request_key="sheet-0123456789abcdef")
    taps = await asyncio.gather(*[post(client, url, body) for _ in range(3)])
    assert [status for status, _ in taps] == [201, 201, 201]
    assert len({order["id"] for _, order in taps}) == 1
    assert await stock_of(shop) == 4  # one unit held, not three
    # A retry later (say after a timeout) is the same order; a new purchase is a new one.
    _, again = await post(client, url, body)
    assert again["id"] == taps[0][1]["id"]
    _, other = await post(client, url, order_body(shop.product_id, request_key="sheet-another-key"))
    assert other["id"] != again["id"]
    assert await stock_of(shop) == 3
    status, bad = await post(client, url, order_body(shop.product_id, request_key="x"))
    assert status == 422 and bad["error"]["field"] == "request_key"
