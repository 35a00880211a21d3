"""Item 13: an order's evidence bundle — what was shown and said around the purchase,
the seller, payment and refund events — for the shopper, the store and operators only."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

from sqlalchemy import select

from chat.models import ChatMessage
from checkout.models import Order
from server import keys
from server.accounts.models import Role
from tests.checkout.conftest import Shop
from tests.checkout.test_pages import paid_order
from tests.helpers import csrf, login_as, make_user
from tests.trust.test_withdrawals import _ask


async def test_the_evidence_bundle_keeps_what_was_shown_said_and_paid(shop: Shop) -> None:
    order_id = await paid_order(shop)
    shopper = shop.extra["shopper"]
    app = shop.app
    async with app[keys.sessionmaker].begin() as session:
        order = await session.get(Order, order_id)
        assert order is not None
        bought = order.created_at
        for key, minutes, body in (
            ("near-before", -1, "이 김치 진짜 맛있어요?"),
            ("near-after", 1.5, "방금 샀어요!"),
            ("long-before", -5, "안녕하세요"),
        ):
            session.add(
                ChatMessage(
                    key=key,
                    show_id=shop.show.id,
                    user_id=shop.merchant.id,
                    author_name="손님",
                    badge="",
                    body=body,
                    created_at=bought + dt.timedelta(minutes=minutes),
                )
            )
    merchant = await shop.as_merchant()
    refunded = await merchant.post(
        f"/merchant/orders/{order_id}/refund",
        data={"amount": "5000", "_csrf": csrf(merchant)},
        allow_redirects=False,
    )
    assert refunded.status == 303
    assert (await _ask(shopper, order_id, "포장이 찢어져 왔어요.")).status == 303

    answer = await shopper.get(f"/orders/{order_id}/evidence.zip")
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(await answer.read()))
    assert set(archive.namelist()) == {"evidence.json", "evidence.html", "photos/1.jpg"}
    e = json.loads(archive.read("evidence.json"))
    assert e["order"]["lines"][0]["product"] == "김장 김치 2kg"
    assert e["order"]["lines"][0]["unit_price"] == 15000
    assert e["order"]["refund_policy_as_shown"] == "7일 이내 환불"
    base = shop.app[keys.settings].public_url
    assert re.fullmatch(rf"{base}/shows/{shop.show.id}\?t=\d+", e["show"]["replay_moment"])
    assert [m["body"] for m in e["chat_within_2_minutes"]] == [
        "이 김치 진짜 맛있어요?",
        "방금 샀어요!",
    ]
    assert e["seller"]["business_name"] == "망원 반찬" and e["seller"]["business_number"]
    assert e["payment"]["payment_intent"].startswith("pi_")
    assert [r["amount"] for r in e["payment"]["refunds"]] == [5000]
    assert e["withdrawal"]["reason"] == "포장이 찢어져 왔어요."
    page = archive.read("evidence.html").decode()
    assert "김장 김치 2kg" in page and "₩15,000" in page and "판매자 정보" in page
    assert "통신판매중개자" in page

    # The store's people and operators may download it; nobody else.
    assert (await merchant.get(f"/orders/{order_id}/evidence.json")).status == 200
    operator = await make_user(app, Role.OPERATOR)
    ops = await shop.make_client()
    await login_as(ops, operator)
    as_json = await ops.get(f"/orders/{order_id}/evidence.json")
    assert as_json.status == 200 and (await as_json.json())["order"]["id"] == order_id
    stranger, _ = await shop.shopper("남")
    assert (await stranger.get(f"/orders/{order_id}/evidence.zip")).status == 404
    anonymous = await shop.make_client()
    signed_out = await anonymous.get(f"/orders/{order_id}/evidence.zip", allow_redirects=False)
    assert signed_out.status == 303
    async with app[keys.sessionmaker]() as session:
        assert await session.scalar(select(Order.id).where(Order.id == order_id)) == order_id
