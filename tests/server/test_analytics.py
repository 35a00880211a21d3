"""Show, store and platform numbers computed from a seeded show with known viewers,
messages, hearts and orders; the live-event journal; who may see which numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io

from chat.models import ChatMessage
from checkout.models import Order, OrderLine, OrderStatus, Product
from server import keys
from server.accounts.models import Role, Store, User
from server.analytics.models import ShowEvent, ViewerSample, ViewerVisit
from server.analytics.presence import viewer_key
from server.db import utcnow
from server.events import LiveEvent
from server.shows import service as shows
from server.shows.models import Show
from tests.helpers import AppClient, login_as, make_merchant, make_show, make_user

T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)  # 19:00 in Seoul


async def _seed_finished_show(client: AppClient, store: Store, buyers: list[User]) -> Show:
    """A one-hour show: 4 unique viewers, samples 2/6/4, 3 messages (1 deleted), 2 paid
    orders by 2 buyers (₩15,000 + ₩30,000, the second refunded ₩5,000), 1 pending."""
    app = client.app
    show = await make_show(app, store, title="분석용 방송", start=T0)
    minute = dt.timedelta(minutes=1)
    async with app[keys.sessionmaker].begin() as session:
        stored = await shows.get_show(session, show.id)
        stored.state, stored.started_at = stored.state.ENDED, T0
        stored.ended_at = T0 + 60 * minute
        for offset, viewers, hearts in ((5, 2, 10), (20, 6, 40), (40, 4, 55)):
            session.add(
                ViewerSample(
                    show_id=show.id,
                    at=T0 + offset * minute,
                    offset_ms=offset * 60_000,
                    viewers=viewers,
                    hearts=hearts,
                )
            )
        # viewer a watches twice (counts once), b, c, d once each: 10+10+30+20+5 min
        for key, start, end in (
            ("ua", 0, 10),
            ("ua", 30, 40),
            ("bb", 0, 30),
            ("bc", 10, 30),
            ("bd", 55, 70),
        ):
            session.add(
                ViewerVisit(
                    show_id=show.id,
                    viewer_key=key,
                    joined_at=T0 + start * minute,
                    left_at=T0 + end * minute,
                )
            )
        for n, deleted in ((1, False), (2, False), (3, True)):
            session.add(
                ChatMessage(
                    key=f"a{show.id}-{n}",
                    show_id=show.id,
                    user_id=buyers[0].id,
                    author_name="민수",
                    badge="shopper",
                    body=f"질문 {n}",
                    offset_ms=n * 1000,
                    deleted_at=utcnow() if deleted else None,
                )
            )
        session.add(
            ShowEvent(
                show_id=show.id,
                kind="product:pinned",
                offset_ms=15 * 60_000,
                payload={"product": {"name": "김장 김치"}},
            )
        )
        kimchi = Product(store_id=store.id, name="김장 김치", price=15_000, stock=10)
        session.add(kimchi)
        await session.flush()
        for user, qty, status, refunded in (
            (buyers[0], 1, OrderStatus.PAID, 0),
            (buyers[1], 2, OrderStatus.REFUNDED, 5_000),
            (buyers[1], 1, OrderStatus.PENDING, 0),
            # paid after the stock ran out: refunded whole
            (buyers[0], 1, OrderStatus.REFUNDED, 15_000),
        ):
            order = Order(
                user_id=user.id,
                store_id=store.id,
                show_id=show.id,
                status=status,
                total=15_000 * qty,
                refunded_amount=refunded,
                reserved_until=T0 + minute,
                recipient_name="민수",
                phone="010-0000-0000",
                postcode="04001",
                address="서울",
            )
            order.lines.append(
                OrderLine(
                    product_id=kimchi.id, quantity=qty, unit_price=15_000, product_name="김장 김치"
                )
            )
            session.add(order)
    return show


async def test_show_numbers_from_a_seeded_show(client: AppClient) -> None:
    merchant, store = await make_merchant(client.app)
    buyers = [await make_user(client.app), await make_user(client.app)]
    show = await _seed_finished_show(client, store, buyers)
    await login_as(client, merchant)
    page = await (await client.get(f"/shows/{show.id}/analytics")).text()

    def figure(name: str) -> str:
        return page.split(f'data-figure="{name}">')[1].split("<")[0]

    assert figure("peak") == "6"
    assert figure("average") == "4.0"
    assert figure("unique") == "4"
    assert figure("watch") == "75.0분"  # the visit past the end counts up to the end
    assert figure("messages") == "2"
    assert figure("hearts") == "55"
    assert figure("orders") == "2"
    assert figure("revenue") == "₩40,000"  # 15,000 + 30,000 - 5,000 refunded
    assert figure("conversion") == "50.0%"  # 2 buyers of 4 unique viewers
    assert 'data-series="viewers"' in page and 'data-kind="product:pinned"' in page

    rows = list(
        csv.reader(
            io.StringIO(
                (await (await client.get(f"/shows/{show.id}/analytics.csv")).text()).lstrip(
                    "\ufeff"
                )
            )
        )
    )
    assert rows[0][0] == "방송" and rows[1][0] == "분석용 방송"
    assert rows[1][10] == "40000" and rows[1][12] == "50.0"


async def test_numbers_are_only_for_the_store_and_operators(client: AppClient) -> None:
    _, store = await make_merchant(client.app, "가게 A")
    other, _ = await make_merchant(client.app, "가게 B")
    show = await _seed_finished_show(client, store, [await make_user(client.app)] * 2)
    await login_as(client, other)
    assert (await client.get(f"/shows/{show.id}/analytics")).status == 403
    assert (await client.get(f"/shows/{show.id}/analytics.csv")).status == 403
    store_page = await (await client.get("/merchant/analytics")).text()
    assert "분석용 방송" not in store_page
    shopper = await make_user(client.app)
    await login_as(client, shopper)
    assert (await client.get("/ops/analytics")).status == 403
    operator = await make_user(client.app, Role.OPERATOR)
    await login_as(client, operator)
    platform = await (await client.get("/ops/analytics?period=month")).text()
    assert "2026-11" in platform and "분석용 방송" not in platform
    assert "₩" in platform


async def test_journal_keeps_live_events_with_their_offset(client: AppClient) -> None:
    _, store = await make_merchant(client.app)
    show = await make_show(client.app, store)
    async with client.app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show.id, "start")
    await client.app[keys.live_events].publish(
        show.id, LiveEvent.PRODUCT_PINNED, {"product": {"name": "도마"}}
    )
    await client.app[keys.live_events].publish(show.id, LiveEvent.STOCK_CHANGED, {"stock": 3})
    async with client.app[keys.sessionmaker]() as session:
        from sqlalchemy import select

        events = list(await session.scalars(select(ShowEvent)))
    assert [e.kind for e in events] == ["product:pinned"]  # stock ticks are not kept
    assert events[0].offset_ms is not None and events[0].offset_ms >= 0


async def test_sampler_and_presence_feed_the_numbers(client: AppClient) -> None:
    _, store = await make_merchant(client.app)
    show = await make_show(client.app, store)
    async with client.app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show.id, "start")
    presence = client.app[keys.presence]
    visit = await presence.joined(show.id, viewer_key(None, "browser-seed", "sid1"), None)
    await presence.joined(show.id, viewer_key(7, None, "sid2"), None)
    await presence.left(visit)
    assert await client.app[keys.viewer_sampler].take_samples() == 1
    async with client.app[keys.sessionmaker]() as session:
        from sqlalchemy import select

        visits = list(await session.scalars(select(ViewerVisit)))
        samples = list(await session.scalars(select(ViewerSample)))
    assert {v.viewer_key for v in visits} == {"u7", viewer_key(None, "browser-seed", "x")}
    assert sum(1 for v in visits if v.left_at is not None) == 1
    assert samples[0].show_id == show.id and samples[0].viewers >= 0
