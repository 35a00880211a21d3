"""Item 15: records kept as the law asks — orders, payments and withdrawals 5 years,
recordings at least 6 months — then purged with an audit line, never what an open
withdrawal or report needs. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import func, select

from checkout.models import Order, OrderLine, OrderStatus, PaymentEvent, Product, Refund
from server import keys
from server.app import create_app
from server.db import utcnow
from server.settings import Settings, SettingsError
from server.shows import service as shows
from server.shows.models import ShowState
from server.trust import retention as retention_module
from server.trust.models import PurgeRecord, ShowReport, Withdrawal, WithdrawalState
from streaming.recording import recording_path
from tests.helpers import make_show, make_store, make_user


def test_recordings_are_kept_six_months_at_least() -> None:
    assert Settings().recording_retention_days >= 183
    with pytest.raises(SettingsError, match="RECORDING_RETENTION_DAYS"):
        Settings.from_mapping({"RECORDING_RETENTION_DAYS": "90"})
    assert (
        Settings.from_mapping({"RECORDING_RETENTION_DAYS": "400"}).recording_retention_days == 400
    )


async def test_the_purge_keeps_what_the_law_and_open_disputes_need(
    any_db_settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    settings = any_db_settings
    app = create_app(settings)
    await aiohttp_client(app)  # started as a server starts it: the job is made at start-up
    now = utcnow()
    long_ago = now - dt.timedelta(days=200)
    store = await make_store(app, "망원 반찬")
    shopper = await make_user(app)
    plain, reported, disputed, recent = [
        await make_show(app, store, title=t) for t in ("지난", "신고된", "분쟁", "최근")
    ]
    for show in (plain, reported, disputed, recent):
        path = recording_path(settings.data_dir, show.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"webm")
    async with app[keys.sessionmaker].begin() as session:
        for show in (plain, reported, disputed, recent):
            loaded = await shows.get_show(session, show.id)
            loaded.state = ShowState.ENDED
            loaded.started_at = loaded.ended_at = now - dt.timedelta(days=10)
            if show is not recent:
                loaded.started_at = loaded.ended_at = long_ago
        product = Product(store_id=store.id, name="깍두기", price=9000, stock=5)
        session.add(product)
        await session.flush()

        def order(created: dt.datetime, show_id: int | None = None) -> Order:
            made = Order(
                user_id=shopper.id,
                store_id=store.id,
                show_id=show_id,
                status=OrderStatus.DELIVERED,
                total=9000,
                reserved_until=created,
                recipient_name="이영희",
                phone="010-1234-5678",
                postcode="04001",
                address="서울 마포구 망원로 1",
                created_at=created,
                paid_at=created,
                payment_intent_id=f"pi_{created.timestamp()}_{show_id}",
            )
            made.lines = [
                OrderLine(product_id=product.id, quantity=1, unit_price=9000, product_name="깍두기")
            ]
            return made

        six_years = now - dt.timedelta(days=6 * 365)
        old = order(six_years)
        old.refunds = [Refund(amount=1000, stripe_refund_id="re_old", reason="")]
        old_disputed = order(six_years - dt.timedelta(days=1), disputed.id)
        four_years = order(now - dt.timedelta(days=4 * 365))
        session.add_all([old, old_disputed, four_years])
        await session.flush()
        session.add(
            PaymentEvent(event_id="evt_old", type="payment_intent.succeeded", order_id=old.id)
        )
        session.add(
            Withdrawal(
                order_id=old_disputed.id,
                user_id=shopper.id,
                store_id=store.id,
                state=WithdrawalState.ESCALATED,
                reason="환불 안 해줘요",
                photos=[],
                requested_at=now,
                answer_due_at=now,
                answer_note="",
                goods_returned=False,
                refunded_amount=0,
            )
        )
        session.add(
            ShowReport(
                show_id=reported.id, reporter_id=shopper.id, kind="abuse", resolution_note=""
            )
        )
        session.add(
            ShowReport(
                show_id=recent.id,
                reporter_id=shopper.id,
                kind="other",
                details="오래전 신고",
                resolved_at=now - dt.timedelta(days=4 * 365),
                resolution_note="처리함",
            )
        )
        ids = (old.id, old_disputed.id, four_years.id)

    retention = app[keys.retention]
    # Two server processes' rounds at once: the work is done once (lock or write lock).
    rounds = await asyncio.gather(retention.purge(now), retention.purge(now))
    first = next(r for r in rounds if r.total)
    assert sum(r.total for r in rounds) == first.total
    assert first.recordings == [plain.id]
    assert first.orders == [ids[0]] and len(first.reports) == 1
    assert not recording_path(settings.data_dir, plain.id).exists()
    for kept in (reported, disputed, recent):
        assert recording_path(settings.data_dir, kept.id).exists()
    async with app[keys.sessionmaker]() as session:
        left = set(await session.scalars(select(Order.id)))
        events = await session.scalar(select(func.count(PaymentEvent.id)))
        refunds = await session.scalar(select(func.count(Refund.id)))
        audit = [(r.kind, r.subject_id) for r in await session.scalars(select(PurgeRecord))]
    assert left == {ids[1], ids[2]} and events == 0 and refunds == 0
    assert ("recording", plain.id) in audit and ("order", ids[0]) in audit
    assert len(audit) == 3

    again = await retention.purge(now)
    assert again.total == 0
    async with app[keys.sessionmaker]() as session:
        assert await session.scalar(select(func.count(PurgeRecord.id))) == 3


async def test_a_backlog_larger_than_a_batch_is_cleared_in_one_round(
    settings: Settings, aiohttp_client: AiohttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention_module, "BATCH", 2)
    app = create_app(settings)
    await aiohttp_client(app)
    store = await make_store(app)
    shopper = await make_user(app)
    old = utcnow() - dt.timedelta(days=6 * 365)
    async with app[keys.sessionmaker].begin() as session:
        for n in range(5):
            session.add(
                Order(
                    user_id=shopper.id,
                    store_id=store.id,
                    status=OrderStatus.CANCELLED,
                    total=1000 + n,
                    reserved_until=old,
                    recipient_name="이영희",
                    phone="010-1234-5678",
                    postcode="04001",
                    address="서울",
                    created_at=old,
                )
            )
    done = await app[keys.retention].purge()
    assert len(done.orders) == 5
    async with app[keys.sessionmaker]() as session:
        assert await session.scalar(select(func.count(Order.id))) == 0
        assert await session.scalar(select(func.count(PurgeRecord.id))) == 5
