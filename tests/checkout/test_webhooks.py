"""The Stripe webhook: signatures, replays, events out of order, unknown orders, and a
payment that arrives after its stock is gone."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from checkout import orders
from checkout.models import PaymentEvent, Refund
from checkout.payments import WEBHOOK_PATH, StripeGateway
from server import keys
from server.keys import checkout_config as config
from server.keys import payment_gateway as gateway
from server.settings import Settings
from tests.checkout.conftest import Shop, build_shop, order_body
from tests.checkout.test_buying import post, stock_of, wait_for_status
from tests.helpers import ServerClient
from tests.localstripe import TEST_CARDS, authenticate_3ds, card_token


def signed(
    shop: Shop, event: dict[str, Any], *, secret: str | None = None, at: int | None = None
) -> tuple[bytes, dict[str, str]]:
    pay_gateway = shop.app[gateway]
    assert isinstance(pay_gateway, StripeGateway)
    payload = json.dumps(event).encode()
    stamp = at or int(time.time())
    mac = hmac.new(
        (secret or pay_gateway.webhook_secret).encode(),
        f"{stamp}.".encode() + payload,
        hashlib.sha256,
    ).hexdigest()
    return payload, {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}


def intent_event(
    shop: Shop, event_id: str, kind: str, order_id: int, intent_id: str = "pi_test"
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "data": {
            "object": {
                "id": intent_id,
                "object": "payment_intent",
                "metadata": {"order_id": str(order_id), "shop": shop.app[config].webhook_name},
            }
        },
    }


async def deliver(shop: Shop, event: dict[str, Any], **kw: Any) -> tuple[int, Any]:
    payload, headers = signed(shop, event, **kw)
    anonymous = await shop.make_client()
    resp = await anonymous.post(WEBHOOK_PATH, data=payload, headers=headers)
    return resp.status, await resp.json()


async def events_stored(shop: Shop) -> int:
    async with shop.app[keys.sessionmaker]() as session:
        return int(await session.scalar(select(func.count(PaymentEvent.id))) or 0)


async def pending_order(shop: Shop, quantity: int = 1) -> tuple[ServerClient, int]:
    client, _ = await shop.shopper()
    status, body = await post(
        client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, quantity)
    )
    assert status == 201, body
    return client, int(body["id"])


async def test_signed_success_marks_paid_once_and_replays_change_nothing(shop: Shop) -> None:
    client, order_id = await pending_order(shop, 2)
    event = intent_event(shop, "evt_ok_1", "payment_intent.succeeded", order_id)
    assert (await deliver(shop, event))[0] == 200
    body = await (await client.get(f"/api/orders/{order_id}")).json()
    assert body["status"] == "paid"
    paid_events = sum(1 for _, name, _ in shop.published if name == "order:paid")
    for _ in range(3):
        status, answer = await deliver(shop, event)
        assert status == 200 and answer["outcome"] == "duplicate"
    assert await events_stored(shop) == 1
    assert sum(1 for _, name, _ in shop.published if name == "order:paid") == paid_events
    assert await stock_of(shop) == 3


async def test_concurrent_deliveries_of_one_event_apply_it_once(
    any_db_settings: Settings, localstripe_url: str, aiohttp_client: AiohttpClient
) -> None:
    shop = await build_shop(any_db_settings, localstripe_url, aiohttp_client)
    _, order_id = await pending_order(shop)
    event = intent_event(shop, "evt_race", "payment_intent.succeeded", order_id)
    results = await asyncio.gather(*[deliver(shop, event) for _ in range(4)])
    assert all(status == 200 for status, _ in results), results
    assert sorted(body["outcome"] for _, body in results).count("duplicate") == 3
    assert await events_stored(shop) == 1
    assert sum(1 for _, name, _ in shop.published if name == "order:paid") == 1


async def test_wrong_secret_forged_body_and_stale_signature_are_refused(shop: Shop) -> None:
    client, order_id = await pending_order(shop)
    event = intent_event(shop, "evt_forged", "payment_intent.succeeded", order_id)
    status, body = await deliver(shop, event, secret="whsec_not_ours")
    assert status == 400 and body["error"]["code"] == "bad_signature"
    status, _ = await deliver(shop, event, at=int(time.time()) - 3600)
    assert status == 400
    payload, headers = signed(shop, event)
    tampered = payload.replace(b"evt_forged", b"evt_forgeX")
    anonymous = await shop.make_client()
    resp = await anonymous.post(WEBHOOK_PATH, data=tampered, headers=headers)
    assert resp.status == 400
    resp = await anonymous.post(WEBHOOK_PATH, data=payload)  # no signature at all
    assert resp.status == 400
    assert (await (await client.get(f"/api/orders/{order_id}")).json())["status"] == "pending"
    assert await events_stored(shop) == 0


async def test_unknown_order_gets_a_clear_error_and_changes_nothing(shop: Shop) -> None:
    status, body = await deliver(
        shop, intent_event(shop, "evt_unknown", "payment_intent.succeeded", 999_999)
    )
    assert status == 404 and body["error"]["code"] == "order_not_found"
    assert await events_stored(shop) == 0


async def test_failure_after_success_is_ignored(shop: Shop) -> None:
    client, order_id = await pending_order(shop)
    await deliver(shop, intent_event(shop, "evt_a", "payment_intent.succeeded", order_id))
    await deliver(shop, intent_event(shop, "evt_b", "payment_intent.payment_failed", order_id))
    assert (await (await client.get(f"/api/orders/{order_id}")).json())["status"] == "paid"
    assert await stock_of(shop) == 4


async def test_success_after_failure_sells_again_while_stock_lasts(shop: Shop) -> None:
    client, order_id = await pending_order(shop)
    await deliver(shop, intent_event(shop, "evt_f", "payment_intent.payment_failed", order_id))
    assert await stock_of(shop) == 5
    await deliver(shop, intent_event(shop, "evt_s", "payment_intent.succeeded", order_id))
    assert (await (await client.get(f"/api/orders/{order_id}")).json())["status"] == "paid"
    assert await stock_of(shop) == 4


async def test_payment_after_the_stock_is_gone_is_refunded_automatically(shop: Shop) -> None:
    client, order_id = await pending_order(shop, 5)
    token = await card_token(shop.stripe, TEST_CARDS["three_d_secure"])
    _, body = await post(client, f"/api/orders/{order_id}/pay", {"card_token": token})
    secret = body["next_action"]["client_secret"]
    # The reservation lapses while the shopper is in 3-D Secure, and others buy it all.
    async with shop.app[keys.sessionmaker].begin() as session:
        assert await orders.release(session, order_id, orders.NOTE_EXPIRED)
    other, _ = await shop.shopper()
    status, _ = await post(
        other, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, 5)
    )
    assert status == 201 and await stock_of(shop) == 0
    await authenticate_3ds(shop.stripe, secret, success=True)
    refunded = await wait_for_status(client, order_id, "refunded")
    assert refunded["refunded_amount"] == refunded["total"] == 75000
    assert await stock_of(shop) == 0
    async with shop.app[keys.sessionmaker]() as session:
        refund = await session.scalar(select(Refund).where(Refund.order_id == order_id))
        assert refund is not None and refund.stripe_refund_id.startswith("re_")
    receipt = await (await client.get(f"/orders/{order_id}")).text()
    assert "전액을 환불" in receipt


async def test_refund_event_from_the_dashboard_is_recorded_once(shop: Shop) -> None:
    client, order_id = await pending_order(shop)
    await deliver(
        shop,
        intent_event(shop, "evt_paid", "payment_intent.succeeded", order_id, intent_id="pi_dash"),
    )
    charge_event = {
        "id": "evt_refund",
        "type": "charge.refunded",
        "data": {
            "object": {
                "id": "ch_1",
                "object": "charge",
                "payment_intent": "pi_dash",
                "amount_refunded": 15000,
            }
        },
    }
    for _ in range(2):
        assert (await deliver(shop, charge_event))[0] == 200
    body = await (await client.get(f"/api/orders/{order_id}")).json()
    assert body["status"] == "refunded" and body["refunded_amount"] == 15000


async def test_selling_out_is_announced_once(shop: Shop) -> None:
    client, order_id = await pending_order(shop, 5)
    assert await stock_of(shop) == 0
    await deliver(shop, intent_event(shop, "evt_paid_all", "payment_intent.succeeded", order_id))
    assert (await (await client.get(f"/api/orders/{order_id}")).json())["status"] == "paid"
    names = [name for _, name, _ in shop.published]
    assert names.count("product:sold_out") == 1
    assert names.count("order:paid") == 1


async def test_an_event_that_fails_is_a_5xx_with_its_cause_logged_not_a_duplicate(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    """A refund above the order's total breaks the CHECK on refunds: Stripe must be told
    to deliver the event again, and the event must not be stored as seen."""
    client, order_id = await pending_order(shop)
    paid = intent_event(shop, "evt_paid_big", "payment_intent.succeeded", order_id, "pi_big")
    assert (await deliver(shop, paid))[0] == 200
    too_much = {
        "id": "evt_refund_too_much",
        "type": "charge.refunded",
        "data": {
            "object": {
                "id": "ch_big",
                "object": "charge",
                "payment_intent": "pi_big",
                "amount_refunded": 99_000,
            }
        },
    }
    for _ in range(2):  # delivered again: tried again, not taken for a duplicate
        with caplog.at_level(logging.ERROR, logger="jangteo.checkout"):
            status, body = await deliver(shop, too_much)
        assert status == 500 and body["error"]["code"] == "event_not_applied", body
    logged = [r for r in caplog.records if r.getMessage().startswith("stripe event not applied")]
    assert len(logged) == 2 and logged[0].exc_info is not None
    assert isinstance(logged[0].exc_info[1], IntegrityError)
    assert getattr(logged[0], "event", None) == "evt_refund_too_much"
    order = await (await client.get(f"/api/orders/{order_id}")).json()
    assert order["status"] == "paid" and order["refunded_amount"] == 0
    assert await events_stored(shop) == 1
    # A true duplicate is still answered as one.
    status, answer = await deliver(shop, paid)
    assert status == 200 and answer["outcome"] == "duplicate"
