"""Demo shows of the past into the database, in bulk: the shows first (their ids are
needed by everything else), then crews, line-ups and flash sales, then orders, then
order lines, the journal, viewer visits and samples. One INSERT per table and phase."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.models import FlashSale, LineupItem, Order, OrderLine, OrderStatus
from server.analytics.models import ShowEvent, ViewerSample, ViewerVisit
from server.demo_shows import DemoProduct, ShowDetail
from server.events import LiveEvent
from server.i18n import SEOUL, format_krw
from server.shows.models import Approval, Show, ShowCreator, ShowState

PAID_DELAY = dt.timedelta(seconds=20)
DELIVERED_AFTER = dt.timedelta(days=5)


async def _insert(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Rows with ids given here, in one statement per batch: SQLite cannot hand back the
    ids of a multi-row INSERT in order, and asking for them row by row takes long."""
    if not rows:
        return []
    table = model.__table__
    first = (await session.scalar(select(func.max(table.c.id)))) or 0
    ids = list(range(first + 1, first + 1 + len(rows)))
    await session.execute(table.insert(), [{**r, "id": i} for r, i in zip(rows, ids, strict=True)])
    if session.get_bind().dialect.name == "postgresql":
        # The table's id sequence must not hand out these ids again.
        await session.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :last)"),
            {"table": table.name, "last": ids[-1]},
        )
    return ids


async def _insert_rows(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    # Through the table, not the ORM: the ORM's bulk insert leaves out None values and
    # so splits rows with and without them into many small statements.
    if rows:
        await session.execute(model.__table__.insert(), rows)


def _at(detail: ShowDetail, offset_ms: int) -> dt.datetime:
    return detail.past.plan.starts_at + dt.timedelta(milliseconds=offset_ms)


def _show_row(detail: ShowDetail, store_id: int, title: str) -> dict[str, Any]:
    start = detail.past.plan.starts_at
    local = start.astimezone(SEOUL)
    return {
        "store_id": store_id,
        "title": f"{title} ({local.month}/{local.day})",
        "description": "",
        "scheduled_start": start,
        "duration_minutes": detail.past.plan.minutes,
        "state": ShowState.ENDED,
        "started_at": start,
        "ended_at": _at(detail, detail.length_ms),
        "cancel_reason": "",
        "approval": Approval.APPROVED,
        "replay_hidden": False,
        "operator_note": "",
        "stream_key": secrets.token_urlsafe(24),
        "created_at": start - dt.timedelta(days=3),
    }


def _product_json(product: DemoProduct) -> dict[str, Any]:
    return {
        "id": product.id,
        "name": product.name,
        "price": product.price,
        "price_text": format_krw(product.price),
    }


def _event(
    show_id: int, detail: ShowDetail, kind: LiveEvent, at_ms: int, payload: Any
) -> dict[str, Any]:
    return {
        "show_id": show_id,
        "kind": str(kind),
        "payload": payload,
        "offset_ms": at_ms,
        "created_at": _at(detail, at_ms),
    }


def _pin_events(show_id: int, detail: ShowDetail) -> list[dict[str, Any]]:
    events = []
    for i, pin in enumerate(detail.pins):
        events.append(
            _event(
                show_id,
                detail,
                LiveEvent.PRODUCT_PINNED,
                pin.start_ms,
                {"product": _product_json(pin.product), "sale": None},
            )
        )
        following = detail.pins[i + 1] if i + 1 < len(detail.pins) else None
        if following is None or following.start_ms > pin.end_ms:
            events.append(_event(show_id, detail, LiveEvent.PRODUCT_UNPINNED, pin.end_ms, {}))
    return events


def _sale_events(show_id: int, detail: ShowDetail, sale_ids: list[int]) -> list[dict[str, Any]]:
    events = []
    for sale, sale_id in zip(detail.sales, sale_ids, strict=True):
        payload = {
            "id": sale_id,
            "product_id": sale.product.id,
            "price": sale.price,
            "price_text": format_krw(sale.price),
            "ends_at": _at(detail, sale.end_ms).isoformat(),
        }
        events.append(
            _event(show_id, detail, LiveEvent.SALE_STARTED, sale.start_ms, {"sale": payload})
        )
        events.append(
            _event(
                show_id,
                detail,
                LiveEvent.SALE_ENDED,
                sale.end_ms,
                {"sale_id": sale_id, "product_id": sale.product.id},
            )
        )
    return events


def _sale_rows(show_id: int, detail: ShowDetail) -> list[dict[str, Any]]:
    rows = []
    for index, sale in enumerate(detail.sales):
        sold = sum(p.quantity for p in detail.purchases if p.sale == index)
        rows.append(
            {
                "show_id": show_id,
                "product_id": sale.product.id,
                "price": sale.price,
                "cap": max(sold, 20),
                "claimed": sold,
                "per_shopper": 2,
                "starts_at": _at(detail, sale.start_ms),
                "ends_at": _at(detail, sale.end_ms),
            }
        )
    return rows


def _order_rows(
    show_id: int, detail: ShowDetail, refund_policy: str, now: dt.datetime
) -> list[dict[str, Any]]:
    rows = []
    for purchase in detail.purchases:
        sale = detail.sales[purchase.sale] if purchase.sale is not None else None
        unit = sale.price if sale else purchase.product.price
        created = _at(detail, purchase.at_ms)
        rows.append(
            {
                "user_id": purchase.buyer_id,
                "store_id": detail.past.store_id,
                "show_id": show_id,
                "status": OrderStatus.DELIVERED
                if created < now - DELIVERED_AFTER
                else OrderStatus.PAID,
                "total": unit * purchase.quantity,
                "currency": "krw",
                "refunded_amount": 0,
                "reserved_until": created + dt.timedelta(minutes=15),
                "payment_intent_id": None,
                "note": "",
                "refund_policy": refund_policy,
                "show_offset_seconds": purchase.at_ms // 1000,
                "recipient_name": "단골 고객",
                "phone": "010-0000-0000",
                "postcode": "04001",
                "address": "서울 마포구 망원로 1",
                "address_detail": "",
                "tracking_number": "",
                "created_at": created,
                "paid_at": created + PAID_DELAY,
            }
        )
    return rows


def _line_rows(
    detail: ShowDetail, order_ids: Sequence[int], sale_ids: Sequence[int]
) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order_id,
            "product_id": p.product.id,
            "variant_id": None,
            "sale_id": sale_ids[p.sale] if p.sale is not None else None,
            "quantity": p.quantity,
            "unit_price": (detail.sales[p.sale].price if p.sale is not None else p.product.price),
            "product_name": p.product.name,
            "variant_name": "",
        }
        for p, order_id in zip(detail.purchases, order_ids, strict=True)
    ]


def _paid_events(
    show_id: int, detail: ShowDetail, orders: Sequence[dict[str, Any]], order_ids: Sequence[int]
) -> list[dict[str, Any]]:
    paid_ms = int(PAID_DELAY.total_seconds() * 1000)
    return [
        _event(
            show_id,
            detail,
            LiveEvent.ORDER_PAID,
            min(detail.length_ms, p.at_ms + paid_ms),
            {
                "order_id": order_id,
                "total": row["total"],
                "total_text": format_krw(row["total"]),
                "buyer": "단*",
                "items": [{"name": p.product.name, "variant": "", "quantity": p.quantity}],
                "paid_at": row["paid_at"].isoformat(),
            },
        )
        for p, row, order_id in zip(detail.purchases, orders, order_ids, strict=True)
    ]


def _presence_rows(
    show_id: int, detail: ShowDetail
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    visits = [
        {
            "show_id": show_id,
            "viewer_key": v.key,
            "user_id": v.user_id,
            "joined_at": _at(detail, v.joined_ms),
            "left_at": _at(detail, v.left_ms),
        }
        for v in detail.visits
    ]
    samples = [
        {
            "show_id": show_id,
            "at": _at(detail, at),
            "offset_ms": at,
            "viewers": viewers,
            "hearts": hearts,
        }
        for at, viewers, hearts in detail.samples
    ]
    return visits, samples


async def write_details(
    session: AsyncSession,
    details: Sequence[ShowDetail],
    titles: dict[int, Sequence[str]],
    refund_policies: dict[int, str],
    now: dt.datetime,
) -> None:
    show_ids = await _insert(
        session,
        Show,
        [
            _show_row(d, d.past.store_id, titles[d.past.store_id][i % len(titles[d.past.store_id])])
            for i, d in enumerate(details)
        ],
    )
    crews, lineups, sales, orders = [], [], [], []
    for show_id, d in zip(show_ids, details, strict=True):
        crews += [{"show_id": show_id, "creator_id": c} for c in d.past.plan.creator_ids]
        lineups += [
            {
                "show_id": show_id,
                "product_id": p.id,
                "position": n,
                "pinned_at": None,
                "presented_at": d.past.plan.starts_at + dt.timedelta(minutes=1),
            }
            for n, p in enumerate(d.lineup, start=1)
        ]
        sales.append(_sale_rows(show_id, d))
        orders.append(_order_rows(show_id, d, refund_policies[d.past.store_id], now))
    await _insert_rows(session, ShowCreator, crews)
    await _insert_rows(session, LineupItem, lineups)
    sale_ids = _split(await _insert(session, FlashSale, [r for rows in sales for r in rows]), sales)
    order_ids = _split(await _insert(session, Order, [r for rows in orders for r in rows]), orders)
    lines, events, visits, samples = [], [], [], []
    for n, (show_id, d) in enumerate(zip(show_ids, details, strict=True)):
        lines += _line_rows(d, order_ids[n], sale_ids[n])
        events += _pin_events(show_id, d) + _sale_events(show_id, d, sale_ids[n])
        events += _paid_events(show_id, d, orders[n], order_ids[n])
        show_visits, show_samples = _presence_rows(show_id, d)
        visits += show_visits
        samples += show_samples
    for model, rows in (
        (OrderLine, lines),
        (ShowEvent, events),
        (ViewerVisit, visits),
        (ViewerSample, samples),
    ):
        await _insert_rows(session, model, rows)


def _split(ids: list[int], groups: Sequence[Sequence[object]]) -> list[list[int]]:
    """The ids of one flat INSERT handed back to the groups its rows came from."""
    out, at = [], 0
    for group in groups:
        out.append(ids[at : at + len(group)])
        at += len(group)
    return out
