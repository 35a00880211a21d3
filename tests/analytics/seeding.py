"""Past shows written straight into the database for the insights' tests: stores with a
product, ended shows with their viewer samples, visits, journal and orders."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass

import numpy as np
from aiohttp import web

from checkout.models import Order, OrderLine, OrderStatus, Product
from server import keys
from server.accounts import service as accounts
from server.accounts.models import Role, Store, User
from server.analytics.insights.forecast.synthetic import WorldStore, favourite_slots, generate
from server.analytics.models import ShowEvent, ViewerSample, ViewerVisit
from server.demo_rows import write_details
from server.demo_shows import DemoProduct, anonymous_key, build_detail
from server.shows.models import Show, ShowState
from tests.helpers import make_user


@dataclass
class SeededStore:
    store: Store
    merchant: User
    product: Product


async def seeded_store(
    app: web.Application, name: str, market: str, region: str = "서울 마포구"
) -> SeededStore:
    async with app[keys.sessionmaker].begin() as session:
        store = await accounts.create_store(session, name=name, market=market, region=region)
        product = Product(store_id=store.id, name=f"{name} 김치", price=20_000, category="food")
        session.add(product)
        await session.flush()
    merchant = await make_user(app, Role.MERCHANT, store_id=store.id)
    return SeededStore(store, merchant, product)


async def ended_show(
    app: web.Application,
    store: Store,
    start: dt.datetime,
    *,
    minutes: int = 60,
    peak: int = 10,
    title: str = "지난 방송",
) -> Show:
    """An ended show whose busiest viewer sample is `peak`."""
    async with app[keys.sessionmaker].begin() as session:
        show = Show(
            store_id=store.id,
            title=title,
            scheduled_start=start,
            duration_minutes=minutes,
            state=ShowState.ENDED,
            started_at=start,
            ended_at=start + dt.timedelta(minutes=minutes),
            stream_key=secrets.token_urlsafe(24),
        )
        session.add(show)
        await session.flush()
        for n, viewers in enumerate((peak // 2, peak, peak // 3), start=1):
            session.add(
                ViewerSample(
                    show_id=show.id,
                    at=start + dt.timedelta(minutes=10 * n),
                    offset_ms=10 * n * 60_000,
                    viewers=viewers,
                )
            )
    return show


async def paid_order(
    app: web.Application, show: Show, product: Product, buyer: User, minute: float
) -> Order:
    assert show.started_at is not None
    placed = show.started_at + dt.timedelta(minutes=minute)
    async with app[keys.sessionmaker].begin() as session:
        order = Order(
            user_id=buyer.id,
            store_id=show.store_id,
            show_id=show.id,
            status=OrderStatus.PAID,
            total=product.price,
            reserved_until=placed + dt.timedelta(minutes=10),
            recipient_name="민수",
            phone="010-0000-0000",
            postcode="04001",
            address="서울",
            created_at=placed,
            paid_at=placed,
        )
        order.lines.append(
            OrderLine(
                product_id=product.id,
                quantity=1,
                unit_price=product.price,
                product_name=product.name,
            )
        )
        session.add(order)
    return order


async def journal(
    app: web.Application, show: Show, kind: str, minute: float, payload: dict[str, object]
) -> None:
    async with app[keys.sessionmaker].begin() as session:
        session.add(
            ShowEvent(show_id=show.id, kind=kind, offset_ms=int(minute * 60_000), payload=payload)
        )


async def visit(app: web.Application, show: Show, key: str, joined: float, left: float) -> None:
    assert show.started_at is not None
    async with app[keys.sessionmaker].begin() as session:
        session.add(
            ViewerVisit(
                show_id=show.id,
                viewer_key=key,
                joined_at=show.started_at + dt.timedelta(minutes=joined),
                left_at=show.started_at + dt.timedelta(minutes=left),
            )
        )


async def generated_history(
    app: web.Application, stores: list[SeededStore], shows: int, now: dt.datetime
) -> int:
    """A generated history (with the demo's writer) over these stores; returns its size."""
    rng = np.random.default_rng(7)
    world = [
        WorldStore(
            s.store.id, s.store.market, s.store.region, "food", 40.0, (), favourite_slots(rng)
        )
        for s in stores
    ]
    days = 120
    start = (now - dt.timedelta(days=days + 2)).date()
    past = generate(rng, world, start, days, shows / len(stores) / (days / 7))
    shoppers = [(await make_user(app)).id for _ in range(5)]
    products = {
        s.store.id: [DemoProduct(s.product.id, s.product.name, s.product.price)] for s in stores
    }
    pick = random.Random(7)

    def viewer(n: int) -> tuple[str, int | None]:
        return anonymous_key(f"t-{pick.random()}-{n}"), None

    details = [build_detail(pick, p, products[p.store_id], ([], viewer), shoppers) for p in past]
    async with app[keys.sessionmaker].begin() as session:
        await write_details(
            session,
            details,
            {s.store.id: ("방송",) for s in stores},
            {s.store.id: "" for s in stores},
            now,
        )
    return len(details)
