"""The evidence of one order, for a dispute: what was shown and said around the
purchase, who sold it, and what happened to the money. Built from what is kept with the
order (the snapshot taken at purchase: names, prices, the refund policy as shown, the
show time) and the records around it (chat, payment events, refunds, the withdrawal);
for the shopper, the store's people and operators only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout import orders as checkout_orders
from checkout.errors import OrderNotFound
from checkout.models import Order, PaymentEvent
from server.accounts import service as accounts
from server.accounts.models import Role, Store, User
from server.db import utcnow
from server.settings import Settings
from server.shows import service as shows
from server.trust.business_number import formatted
from server.trust.models import REFUSAL_WORDS, Withdrawal

# Chat lines kept around the moment of purchase, each side.
AROUND_SECONDS = 120

ChatAround = Callable[[AsyncSession, int, dt.datetime, int], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class Bundle:
    order_id: int
    data: dict[str, Any]
    # Paths of the withdrawal's photos below DATA_DIR/private/media.
    photos: list[str]


def may_see(user: User, order: Order) -> bool:
    if not user.is_active:
        return False
    if user.role is Role.OPERATOR or order.user_id == user.id:
        return True
    return user.role is Role.MERCHANT and user.store_id == order.store_id


def seller(store: Store) -> dict[str, Any]:
    return {
        "store": store.name,
        "business_name": store.business_name,
        "representative": store.representative,
        "business_number": formatted(store.business_number) if store.business_number else "",
        "mail_order_number": store.mail_order_number,
        "address": store.business_address,
        "phone": store.business_phone,
        "email": store.business_email,
        "verified_at": _time(store.identity_verified_at),
    }


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class Evidence:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        chat_around: ChatAround,
        settings: Settings,
    ) -> None:
        self._db = sessionmaker
        self._chat_around = chat_around
        self._settings = settings

    async def bundle(self, user: User, order_id: int) -> Bundle:
        async with self._db() as session:
            order = await checkout_orders.get_order(session, order_id)
            if not may_see(user, order):
                raise OrderNotFound(order_id=order_id)
            store = await accounts.get_store(session, order.store_id)
            show = await shows.get_show(session, order.show_id) if order.show_id else None
            events = list(
                await session.scalars(
                    select(PaymentEvent)
                    .where(PaymentEvent.order_id == order.id)
                    .order_by(PaymentEvent.received_at, PaymentEvent.id)
                )
            )
            withdrawal = await session.scalar(
                select(Withdrawal).where(Withdrawal.order_id == order.id)
            )
            chat = (
                await self._chat_around(session, show.id, order.created_at, AROUND_SECONDS)
                if show is not None
                else []
            )
        base = self._settings.public_url.rstrip("/")
        moment = (
            f"{base}/shows/{show.id}"
            + (f"?t={order.show_offset_seconds}" if order.show_offset_seconds is not None else "")
            if show is not None
            else None
        )
        data: dict[str, Any] = {
            "generated_at": utcnow().isoformat(),
            "order": {
                "id": order.id,
                "status": order.status.value,
                "created_at": _time(order.created_at),
                "paid_at": _time(order.paid_at),
                "shipped_at": _time(order.shipped_at),
                "delivered_at": _time(order.delivered_at),
                "currency": order.currency,
                "total": order.total,
                "refunded": order.refunded_amount,
                "tracking_number": order.tracking_number,
                "note": order.note,
                "lines": [
                    {
                        "product_id": line.product_id,
                        "product": line.product_name,
                        "option": line.variant_name,
                        "unit_price": line.unit_price,
                        "quantity": line.quantity,
                        "flash_sale": line.sale_id is not None,
                    }
                    for line in order.lines
                ],
                # The store's refund policy as the shopper saw it when buying.
                "refund_policy_as_shown": order.refund_policy,
            },
            "show": (
                {
                    "id": show.id,
                    "title": show.title,
                    "started_at": _time(show.started_at),
                    "ended_at": _time(show.ended_at),
                    "purchase_offset_seconds": order.show_offset_seconds,
                    "replay_moment": moment,
                }
                if show is not None
                else None
            ),
            "chat_within_2_minutes": chat,
            # No live captions are stored by this version; the key is kept for them.
            "captions_within_2_minutes": [],
            "seller": seller(store),
            "platform": {
                "name": self._settings.platform_business_name or "Jangteo Live",
                "business_number": self._settings.platform_business_number,
                "mail_order_number": self._settings.platform_mail_order_number,
                "role": "통신판매중개자 (mail-order intermediary, not a party to the sale)",
            },
            "payment": {
                "payment_intent": order.payment_intent_id,
                "paid_at": _time(order.paid_at),
                "events": [
                    {"id": e.event_id, "type": e.type, "received_at": _time(e.received_at)}
                    for e in events
                ],
                "refunds": [
                    {
                        "amount": r.amount,
                        "refund_id": r.stripe_refund_id,
                        "reason": r.reason,
                        "at": _time(r.created_at),
                    }
                    for r in order.refunds
                ],
            },
            "withdrawal": _withdrawal(withdrawal),
        }
        photos = [str(p) for p in withdrawal.photos] if withdrawal is not None else []
        return Bundle(order.id, data, photos)


def _withdrawal(withdrawal: Withdrawal | None) -> dict[str, Any] | None:
    if withdrawal is None:
        return None
    return {
        "state": withdrawal.state.value,
        "reason": withdrawal.reason,
        "requested_at": _time(withdrawal.requested_at),
        "answer_due_at": _time(withdrawal.answer_due_at),
        "escalated_at": _time(withdrawal.escalated_at),
        "decided_at": _time(withdrawal.decided_at),
        "refusal_reason": withdrawal.refusal_reason,
        "refusal_reason_text": REFUSAL_WORDS.get(withdrawal.refusal_reason or "", ""),
        "answer_note": withdrawal.answer_note,
        "goods_returned": withdrawal.goods_returned,
        "refunded": withdrawal.refunded_amount,
        "photos": [f"photos/{n + 1}.jpg" for n in range(len(withdrawal.photos))],
    }
