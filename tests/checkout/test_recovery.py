"""Payments whose outcome the order never heard (its webhook lost, its request dead) are
found again: the sweeper and the start-up reconciliation ask the gateway before they
release anything, and a shopper's retry completes the payment instead of a 409."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from checkout import intents
from checkout.models import Order
from server import keys
from server.db import utcnow
from tests.checkout.conftest import Shop, order_body
from tests.checkout.test_buying import post, stock_of
from tests.helpers import ServerClient
from tests.localstripe import TEST_CARDS, authenticate_3ds, card_token, mute_webhooks


async def _reserve(shop: Shop, quantity: int = 1) -> tuple[ServerClient, int]:
    client, _ = await shop.shopper()
    status, body = await post(
        client, f"/api/shows/{shop.show.id}/orders", order_body(shop.product_id, quantity)
    )
    assert status == 201, body
    return client, int(body["id"])


async def _in_3ds(shop: Shop, quantity: int = 1) -> tuple[ServerClient, int, str]:
    """An order whose payment waits for 3-D Secure: its intent is recorded, not charged."""
    client, order_id = await _reserve(shop, quantity)
    token = await card_token(shop.stripe, TEST_CARDS["three_d_secure"])
    status, body = await post(client, f"/api/orders/{order_id}/pay", {"card_token": token})
    assert status == 200 and body["status"] == "pending", body
    return client, order_id, body["next_action"]["client_secret"]


async def _status(client: ServerClient, order_id: int) -> str:
    return str((await (await client.get(f"/api/orders/{order_id}")).json())["status"])


async def _expire_all(shop: Shop) -> None:
    async with shop.app[keys.sessionmaker].begin() as session:
        await session.execute(
            update(Order).values(reserved_until=utcnow() - dt.timedelta(seconds=1))
        )


async def test_the_sweeper_completes_an_expired_order_whose_payment_went_through(
    shop: Shop,
) -> None:
    await mute_webhooks(shop.stripe, shop.app[keys.checkout_config].webhook_name)
    client, order_id, secret = await _in_3ds(shop, 2)
    await authenticate_3ds(shop.stripe, secret, success=True)  # charged; nobody is told
    await _expire_all(shop)
    assert await shop.app[keys.checkout].sweep_once() == 0
    assert await _status(client, order_id) == "paid"
    assert await stock_of(shop) == 3  # the units stay sold
    assert [p["order_id"] for _, name, p in shop.published if name == "order:paid"] == [order_id]


async def test_the_sweeper_stops_an_expired_3ds_payment_then_frees_the_stock(shop: Shop) -> None:
    client, order_id, _ = await _in_3ds(shop, 2)
    await _expire_all(shop)
    assert await shop.app[keys.checkout].sweep_once() == 1
    assert await _status(client, order_id) == "cancelled"
    assert await stock_of(shop) == 5
    # The payment was stopped at the gateway first: answering the bank now charges nothing.
    async with shop.app[keys.sessionmaker]() as session:
        order = await session.get(Order, order_id)
        assert order is not None and order.payment_intent_id
        intent = await shop.app[keys.payment_gateway].retrieve(order.payment_intent_id)
    assert intent.status == "canceled"


async def test_start_up_reconciliation_completes_and_releases_what_a_crash_left(
    shop: Shop,
) -> None:
    await mute_webhooks(shop.stripe, shop.app[keys.checkout_config].webhook_name)
    client_paid, paid_id, paid_secret = await _in_3ds(shop)
    client_failed, failed_id, failed_secret = await _in_3ds(shop)
    client_waiting, waiting_id, _ = await _in_3ds(shop)
    await authenticate_3ds(shop.stripe, paid_secret, success=True)
    await authenticate_3ds(shop.stripe, failed_secret, success=False)

    report = await shop.app[keys.checkout].reconcile()

    assert (report.checked, report.paid, report.released, report.left) == (3, 1, 1, 1)
    assert await _status(client_paid, paid_id) == "paid"
    assert await _status(client_failed, failed_id) == "cancelled"
    assert await _status(client_waiting, waiting_id) == "pending"  # still in 3-D Secure
    assert await stock_of(shop) == 3


async def test_a_retry_after_a_crash_before_the_confirmation_completes_the_payment(
    shop: Shop,
) -> None:
    """The request died after recording its intent and before confirming it: the
    shopper's retry confirms that same intent, once."""
    client, order_id = await _reserve(shop)
    token = await card_token(shop.stripe, TEST_CARDS["success"])
    gateway = shop.app[keys.payment_gateway]
    now = utcnow()
    mark = intents.claim_mark(order_id, now)
    async with shop.app[keys.sessionmaker].begin() as session:
        order = await session.get(Order, order_id)
        assert order is not None
        assert await intents.claim(session, order.user_id, order_id, mark, now) is not None
    created = await gateway.create(
        order_id=order_id,
        amount=15000,
        currency="krw",
        card_token=token,
        idempotency_key=intents.intent_key(mark),
    )
    async with shop.app[keys.sessionmaker].begin() as session:
        assert await intents.record(session, order_id, mark, created.intent_id)

    status, body = await post(client, f"/api/orders/{order_id}/pay", {"card_token": token})

    assert status == 200 and body["status"] == "paid", body
    assert (await gateway.retrieve(created.intent_id)).status == "succeeded"
    async with shop.app[keys.sessionmaker]() as session:
        paid = await session.get(Order, order_id)
        assert paid is not None and paid.payment_intent_id == created.intent_id


async def test_a_claim_left_by_a_dead_request_is_cleared_and_a_fresh_one_is_not(
    shop: Shop,
) -> None:
    client_old, old_id = await _reserve(shop)
    client_new, new_id = await _reserve(shop)
    long_ago = utcnow() - dt.timedelta(hours=1)
    async with shop.app[keys.sessionmaker].begin() as session:
        for order_id, at in ((old_id, long_ago), (new_id, utcnow())):
            await session.execute(
                update(Order)
                .where(Order.id == order_id)
                .values(payment_intent_id=intents.claim_mark(order_id, at))
            )
    await shop.app[keys.checkout].sweep_once()
    token = await card_token(shop.stripe, TEST_CARDS["success"])
    status, body = await post(client_old, f"/api/orders/{old_id}/pay", {"card_token": token})
    assert status == 200 and body["status"] == "paid", body
    status, body = await post(client_new, f"/api/orders/{new_id}/pay", {"card_token": token})
    assert status == 409 and body["error"]["code"] == "payment_in_progress"
