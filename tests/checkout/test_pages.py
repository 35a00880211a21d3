"""The checkout pages as a merchant, a creator and a shopper see them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import aiohttp
from PIL import Image

from server import keys
from server.accounts.models import Role
from server.shows import service as shows
from tests.checkout.conftest import Shop, order_body
from tests.checkout.test_buying import post
from tests.helpers import csrf, login_as, make_merchant, make_show, make_user
from tests.localstripe import TEST_CARDS, card_token


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 80, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


async def paid_order(shop: Shop, quantity: int = 1) -> int:
    client, _ = await shop.shopper("김민수")
    _, order = await post(
        client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, quantity)
    )
    token = await card_token(shop.stripe, TEST_CARDS["success"])
    status, body = await post(client, f"/api/orders/{order['id']}/pay", {"card_token": token})
    assert status == 200 and body["status"] == "paid"
    shop.extra["shopper"] = client
    return int(order["id"])


async def test_show_page_carries_the_shelf_and_stripe_js_from_localstripe(shop: Shop) -> None:
    client, _ = await shop.shopper()
    page = await (await client.get(f"/shows/{shop.show.id}")).text()
    assert "data-checkout-shelf" in page and "바로 구매" in page
    assert f"{shop.stripe}/js.stripe.com/v3/" in page
    assert "pk_test_localstripe" in page
    anonymous = await shop.make_client()
    page = await (await anonymous.get(f"/shows/{shop.show.id}")).text()
    assert "로그인하고 구매" in page


async def test_shelf_api_shows_the_pinned_product_and_server_time(shop: Shop) -> None:
    anonymous = await shop.make_client()
    state = await (await anonymous.get(f"/api/shows/{shop.show.id}/shelf")).json()
    assert state["pinned"]["id"] == shop.product_id and state["pinned"]["available"] == 5
    assert state["pinned"]["price_text"] == "₩15,000"
    assert state["server_time"] and state["sale"] is None


async def test_studio_panel_and_quick_listing_pin_in_one_step(shop: Shop) -> None:
    merchant = await shop.as_merchant()
    page = await (await merchant.get(f"/studio/shows/{shop.show.id}")).text()
    assert "data-checkout-studio" in page and "라이브 주문" in page
    form = {"name": "즉석 파김치", "price": "12000", "stock": "7"}
    data = aiohttp.FormData(form)
    data.add_field("photo", jpeg(), filename="cam.jpg", content_type="image/jpeg")
    resp = await merchant.post(
        f"/api/shows/{shop.show.id}/quick-listing",
        data=data,
        headers={"X-CSRF-Token": csrf(merchant)},
    )
    assert resp.status == 201, await resp.text()
    state = await resp.json()
    assert state["pinned"]["name"] == "즉석 파김치" and state["pinned"]["available"] == 7
    assert state["pinned"]["thumb_url"].endswith(".thumb.jpg")
    assert any(
        name == "product:pinned" and p["product"]["name"] == "즉석 파김치"
        for _, name, p in shop.published
    )


async def test_merchant_creates_and_edits_a_product_with_options_and_photo(shop: Shop) -> None:
    merchant = await shop.as_merchant()
    await merchant.get("/merchant/products")
    data = aiohttp.FormData(
        {
            "_csrf": csrf(merchant),
            "name": "원목 도마",
            "price": "39000",
            "variants": "소: 3\n대: 2",
            "per_order_limit": "2",
            "description": "참나무",
        }
    )
    data.add_field("photo", jpeg(), filename="board.jpg", content_type="image/jpeg")
    resp = await merchant.post("/merchant/products", data=data)
    assert resp.status == 200
    page = await resp.text()
    assert "원목 도마" in page and "₩39,000" in page
    products = await (await merchant.get(f"/api/stores/{shop.store.id}/products")).json()
    board = next(p for p in products if p["name"] == "원목 도마")
    assert board["available"] == 5 and board["image_url"]
    resp = await merchant.post(
        f"/merchant/products/{board['id']}/edit",
        data={
            "_csrf": csrf(merchant),
            "name": "원목 도마",
            "price": "35000",
            "variants": "소: 1\n대: 2",
            "per_order_limit": "2",
        },
    )
    assert resp.status == 200
    product = await (await merchant.get(f"/api/products/{board['id']}")).json()
    assert product["price"] == 35000 and product["available"] == 3
    resp = await merchant.post(
        "/merchant/products", data={"_csrf": csrf(merchant), "name": "", "price": "1000"}
    )
    assert resp.status == 422 and "상품명은" in await resp.text()
    page = await (await merchant.get(f"/products/{board['id']}")).text()
    assert "원목 도마" in page and "₩35,000" in page


async def test_merchant_order_list_refund_form_and_csv(shop: Shop) -> None:
    order_id = await paid_order(shop, 2)
    merchant = await shop.as_merchant()
    page = await (await merchant.get("/merchant/orders")).text()
    assert f"#{order_id}" in page and "결제 완료" in page and "김민수" in page
    resp = await merchant.post(
        f"/merchant/orders/{order_id}/refund", data={"_csrf": csrf(merchant), "amount": "40000"}
    )
    assert resp.status == 422 and "₩30,000" in await resp.text()
    resp = await merchant.post(
        f"/merchant/orders/{order_id}/refund", data={"_csrf": csrf(merchant), "amount": "5000"}
    )
    assert resp.status == 200 and "₩5,000" in await resp.text()
    resp = await merchant.get("/merchant/orders.csv")
    assert resp.status == 200 and resp.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO((await resp.text()).lstrip("\ufeff"))))
    assert rows[0][0] == "주문"
    assert rows[1][0] == str(order_id) and rows[1][4] == "30000" and rows[1][5] == "5000"
    assert "김장 김치 2kg" in rows[1][3] and rows[1][6] == "김민수"


async def test_receipt_keeps_the_evidence_and_links_to_the_replay_moment(shop: Shop) -> None:
    order_id = await paid_order(shop)
    client = shop.extra["shopper"]
    page = await (await client.get(f"/orders/{order_id}")).text()
    assert "김장 김치 2kg" in page and "₩15,000" in page and "7일 이내 환불" in page
    assert f'href="/shows/{shop.show.id}?t=' in page
    history = await (await client.get("/orders")).text()
    assert f'data-testid="order-{order_id}"' in history and "결제 완료" in history
    merchant = await shop.as_merchant()
    assert (await merchant.get(f"/orders/{order_id}")).status == 200


async def test_store_page_and_console_link_to_products(shop: Shop) -> None:
    merchant = await shop.as_merchant()
    page = await (await merchant.get("/merchant")).text()
    assert 'href="/merchant/products"' in page and 'href="/merchant/orders"' in page
    page = await (await merchant.get(f"/stores/{shop.store.slug}")).text()
    assert "data-store-products" in page


async def test_english_shopper_gets_the_shelf_and_receipt_in_english(shop: Shop) -> None:
    order_id = await paid_order(shop)
    client = shop.extra["shopper"]
    await client.post("/lang", data={"locale": "en", "_csrf": csrf(client), "next": "/"})
    page = await (await client.get(f"/shows/{shop.show.id}")).text()
    assert "Buy now" in page and "Add to cart" in page and "바로 구매" not in page
    receipt = await (await client.get(f"/orders/{order_id}")).text()
    assert "Receipt" in receipt and "₩15,000" in receipt
    assert ">Paid<" in receipt and ">paid<" not in receipt  # a word, not the status code


async def test_a_creator_lists_quickly_but_a_shopper_cannot(shop: Shop) -> None:
    creator = await make_user(shop.app, Role.CREATOR, name="라이브 지은")
    # Another store's show (the shop's own store is busy with its live show).
    _, other_store = await make_merchant(shop.app, "즉석 가게")
    show = await make_show(
        shop.app,
        other_store,
        [creator],
        title="즉석 라이브",
        start=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1),
    )
    async with shop.app[keys.sessionmaker].begin() as session:
        await shows.transition(session, creator, await shows.get_show(session, show.id), "start")
    form = {"name": "즉석 깍두기", "price": "9000", "stock": "3"}
    client = await shop.make_client()
    await login_as(client, creator)
    resp = await client.post(
        f"/api/shows/{show.id}/quick-listing", data=form, headers={"X-CSRF-Token": csrf(client)}
    )
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["pinned"]["name"] == "즉석 깍두기"
    shopper, _ = await shop.shopper()
    resp = await shopper.post(
        f"/api/shows/{show.id}/quick-listing", data=form, headers={"X-CSRF-Token": csrf(shopper)}
    )
    assert resp.status == 403
