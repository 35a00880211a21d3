"""Item 12: 청약철회 — the shopper asks within 7 days of delivery, with a reason and
photos; the store accepts (refund through Stripe, units back when returned) or refuses
with a reason the law allows, which the shopper sees; an unanswered request passes to
the operators after 3 business days."""

from __future__ import annotations

import datetime as dt
import io

import aiohttp
from PIL import Image
from sqlalchemy import select, update

from checkout.models import Order, OrderStatus, Product, Refund
from server import keys
from server.accounts.models import Role
from server.db import utcnow
from server.i18n import SEOUL
from server.notifications.models import Notification
from server.trust.models import Withdrawal, WithdrawalState
from server.trust.withdrawal_rules import add_business_days, window
from tests.checkout.conftest import Shop
from tests.checkout.test_pages import paid_order
from tests.helpers import Browser, csrf, login_as, make_user


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def order_at(status: OrderStatus, **dates: dt.datetime | None) -> Order:
    return Order(status=status, total=15000, refunded_amount=0, **dates)


def test_the_seven_days_run_from_delivery_or_from_when_it_should_have_arrived() -> None:
    now = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)  # Monday noon in Seoul
    assert window(order_at(OrderStatus.PAID), now).allowed  # not sent yet: not begun
    delivered = order_at(OrderStatus.DELIVERED, delivered_at=now - dt.timedelta(days=7))
    assert window(delivered, now).allowed  # the seventh day is still open
    late = order_at(OrderStatus.DELIVERED, delivered_at=now - dt.timedelta(days=8))
    assert not window(late, now).allowed
    # Shipped 10 days ago and never marked delivered: it should have arrived 3 days after.
    shipped = order_at(OrderStatus.SHIPPED, shipped_at=now - dt.timedelta(days=10))
    assert window(shipped, now).allowed
    eleven = order_at(OrderStatus.SHIPPED, shipped_at=now - dt.timedelta(days=11))
    assert not window(eleven, now).allowed
    assert not window(order_at(OrderStatus.CANCELLED), now).allowed


def test_three_business_days_skip_the_weekend() -> None:
    friday = dt.datetime(2026, 11, 27, 15, 0, tzinfo=SEOUL)
    assert add_business_days(friday, 3).astimezone(SEOUL).date() == dt.date(2026, 12, 2)


async def _deliver(shop: Shop, order_id: int) -> None:
    merchant = await shop.as_merchant()
    for status, extra in (("shipped", {"tracking_number": "CJ123456789"}), ("delivered", {})):
        resp = await merchant.post(
            f"/merchant/orders/{order_id}/status",
            data={"status": status, "_csrf": csrf(merchant), **extra},
            allow_redirects=False,
        )
        assert resp.status == 303, await resp.text()


async def _ask(
    client: Browser, order_id: int, reason: str, photos: int = 1
) -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    form.add_field("_csrf", csrf(client))
    form.add_field("reason", reason)
    for n in range(photos):
        form.add_field("photos", photo(), filename=f"box{n}.jpg", content_type="image/jpeg")
    return await client.post(f"/orders/{order_id}/withdrawal", data=form, allow_redirects=False)


async def test_a_withdrawal_accepted_is_refunded_through_stripe_and_restocked(shop: Shop) -> None:
    order_id = await paid_order(shop)
    shopper = shop.extra["shopper"]
    await _deliver(shop, order_id)
    receipt = await (await shopper.get(f"/orders/{order_id}")).text()
    assert f'href="/orders/{order_id}/withdrawal"' in receipt

    short = await _ask(shopper, order_id, "별로", photos=0)
    assert short.status == 422 and "5자에서 2,000자" in await short.text()
    asked = await _ask(shopper, order_id, "포장이 터져서 왔어요. 사진 첨부합니다.")
    assert asked.status == 303
    page = await (await shopper.get(f"/orders/{order_id}/withdrawal")).text()
    assert "가게 답변 대기 중" in page and "포장이 터져서" in page
    again = await _ask(shopper, order_id, "한 번 더 신청합니다.")
    assert again.status == 409

    app = shop.app
    async with app[keys.sessionmaker]() as session:
        withdrawal = await session.scalar(select(Withdrawal).where(Withdrawal.order_id == order_id))
        assert withdrawal is not None and len(withdrawal.photos) == 1
        stock_before = await session.scalar(
            select(Product.stock).where(Product.id == shop.product_id)
        )
    # The photo is for the shopper, the store and operators only.
    assert (await shopper.get(f"/withdrawals/{withdrawal.id}/photos/0")).status == 200
    stranger, _ = await shop.shopper("남")
    assert (await stranger.get(f"/withdrawals/{withdrawal.id}/photos/0")).status == 404
    assert (await stranger.get(f"/orders/{order_id}/withdrawal")).status == 404
    anonymous = await shop.make_client()
    signed_out = await anonymous.get(
        f"/withdrawals/{withdrawal.id}/photos/0", allow_redirects=False
    )
    assert signed_out.status == 303 and signed_out.headers["Location"].startswith("/login")

    merchant = await shop.as_merchant()
    listed = await (await merchant.get("/merchant/withdrawals")).text()
    assert f'data-testid="withdrawal-{withdrawal.id}"' in listed and "포장이 터져서" in listed
    assert (await merchant.get(f"/withdrawals/{withdrawal.id}/photos/0")).status == 200
    # A shopper cannot answer their own request.
    assert (
        await shopper.post(f"/withdrawals/{withdrawal.id}/accept", data={"_csrf": csrf(shopper)})
    ).status == 403
    accepted = await merchant.post(
        f"/withdrawals/{withdrawal.id}/accept",
        data={"goods_returned": "1", "_csrf": csrf(merchant)},
        allow_redirects=False,
    )
    assert accepted.status == 303, await accepted.text()

    async with app[keys.sessionmaker]() as session:
        order = await session.get(Order, order_id)
        refunds = list(await session.scalars(select(Refund).where(Refund.order_id == order_id)))
        stock_after = await session.scalar(
            select(Product.stock).where(Product.id == shop.product_id)
        )
    assert order is not None and order.status is OrderStatus.REFUNDED
    assert [r.amount for r in refunds] == [15000] and refunds[0].stripe_refund_id.startswith("re_")
    assert stock_after == (stock_before or 0) + 1
    page = await (await shopper.get(f"/orders/{order_id}/withdrawal")).text()
    assert "철회 승인·환불 완료" in page and "₩15,000 환불했습니다" in page
    twice = await merchant.post(
        f"/withdrawals/{withdrawal.id}/accept", data={"_csrf": csrf(merchant)}
    )
    assert twice.status == 409


async def test_a_refusal_needs_a_legal_reason_the_shopper_reads(shop: Shop) -> None:
    order_id = await paid_order(shop)
    shopper = shop.extra["shopper"]
    await _deliver(shop, order_id)
    assert (await _ask(shopper, order_id, "맛이 생각과 달라요.", photos=0)).status == 303
    async with shop.app[keys.sessionmaker]() as session:
        withdrawal_id = await session.scalar(
            select(Withdrawal.id).where(Withdrawal.order_id == order_id)
        )
    merchant = await shop.as_merchant()
    whim = await merchant.post(
        f"/withdrawals/{withdrawal_id}/refuse",
        data={
            "refusal_reason": "changed_mind",
            "note": "단순 변심은 안 됩니다",
            "_csrf": csrf(merchant),
        },
    )
    assert whim.status == 422 and "법이 허용하는 사유" in await whim.text()
    refused = await merchant.post(
        f"/withdrawals/{withdrawal_id}/refuse",
        data={
            "refusal_reason": "value_lost_by_use",
            "note": "김치 절반을 드신 채 반품하셨습니다.",
            "_csrf": csrf(merchant),
        },
        allow_redirects=False,
    )
    assert refused.status == 303
    page = await (await shopper.get(f"/orders/{order_id}/withdrawal")).text()
    assert "소비자의 사용 또는 일부 소비로 재화의 가치가 현저히 감소" in page
    assert "김치 절반을 드신 채" in page and "1372" in page
    async with shop.app[keys.sessionmaker]() as session:
        order = await session.get(Order, order_id)
    assert order is not None and order.status is OrderStatus.DELIVERED  # no refund


async def test_past_seven_days_the_request_is_refused_with_the_reason(shop: Shop) -> None:
    order_id = await paid_order(shop)
    shopper = shop.extra["shopper"]
    await _deliver(shop, order_id)
    async with shop.app[keys.sessionmaker].begin() as session:
        await session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(delivered_at=utcnow() - dt.timedelta(days=9))
        )
    page = await (await shopper.get(f"/orders/{order_id}/withdrawal")).text()
    assert 'data-testid="withdrawal-closed"' in page and "7일이 지났" in page
    late = await _ask(shopper, order_id, "늦었지만 철회합니다.", photos=0)
    assert late.status == 409 and "7일이 지났" in await late.text()


async def test_an_unanswered_request_passes_to_the_operators(shop: Shop) -> None:
    order_id = await paid_order(shop)
    shopper = shop.extra["shopper"]
    operator = await make_user(shop.app, Role.OPERATOR)
    assert (await _ask(shopper, order_id, "아직 안 보냈으면 취소할게요.", photos=0)).status == 303
    service = shop.app[keys.withdrawals]
    assert await service.escalate_due() == 0  # not due yet
    later = utcnow() + dt.timedelta(days=6)
    assert await service.escalate_due(later) == 1
    assert await service.escalate_due(later) == 0  # once only
    async with shop.app[keys.sessionmaker]() as session:
        withdrawal = await session.scalar(select(Withdrawal).where(Withdrawal.order_id == order_id))
        told = list(
            await session.scalars(
                select(Notification.user_id).where(Notification.link == "/ops/withdrawals")
            )
        )
    assert withdrawal is not None and withdrawal.state is WithdrawalState.ESCALATED
    assert operator.id in told and shop.merchant.id in told

    ops = await shop.make_client()
    await login_as(ops, operator)
    queue = await (await ops.get("/ops/withdrawals")).text()
    assert f'data-testid="withdrawal-{withdrawal.id}"' in queue and "운영자에게 넘어감" in queue
    decided = await ops.post(
        f"/withdrawals/{withdrawal.id}/accept", data={"_csrf": csrf(ops)}, allow_redirects=False
    )
    assert decided.status == 303
    page = await (await shopper.get(f"/orders/{order_id}/withdrawal")).text()
    assert "철회 승인·환불 완료" in page
