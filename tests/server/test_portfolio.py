"""A creator's portfolio: the shows they actually worked on, with the viewers and
orders the merchant chose to publish, figured from the show's real records."""

from __future__ import annotations

import datetime as dt

from checkout.models import Order, OrderLine, OrderStatus, Product
from server import keys
from server.accounts.models import Role
from server.analytics.models import ViewerVisit
from server.db import utcnow
from server.jobs import profiles
from server.jobs.models import Application, ApplicationStatus, Job, JobRole
from server.jobs.profiles import ProfileInput
from server.shows import lifecycle
from server.shows import service as shows
from tests.helpers import AppClient, csrf, login_as, make_merchant, make_show, make_user


def _cell(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}">')[1].split("</td>")[0]


async def test_portfolio_shows_only_the_figures_the_merchant_published(
    client: AppClient,
) -> None:
    merchant, store = await make_merchant(client.app, "할매 반찬")
    creator = await make_user(client.app, Role.CREATOR, name="라이브 지은")
    shopper = await make_user(client.app)
    show = await make_show(client.app, store, [creator], title="명절 모음전")
    started = utcnow() - dt.timedelta(days=2)
    async with client.app[keys.sessionmaker].begin() as session:
        await profiles.save_profile(
            session, creator, ProfileInput(["host"], ["서울"], ["한국어"], "시장 진행자")
        )
        ended = await shows.get_show(session, show.id)
        lifecycle.apply(ended, "start", started)
        lifecycle.apply(ended, "end", started + dt.timedelta(hours=1))
        job = Job(show_id=show.id, store_id=store.id, posted_by=merchant.id, region="서울")
        job.roles = [JobRole(role="host", pay=150000)]
        session.add(job)
        await session.flush()
        session.add(
            Application(
                job_id=job.id,
                creator_id=creator.id,
                role="host",
                message="진행해요",
                status=ApplicationStatus.HIRED,
                hired_role="host",
            )
        )
        # Five people watched (one came back twice); two orders were paid, one never was.
        for n, key in enumerate(["a", "b", "c", "d", "e", "a"]):
            joined = started + dt.timedelta(minutes=n)
            session.add(ViewerVisit(show_id=show.id, viewer_key=key, joined_at=joined))
        product = Product(store_id=store.id, name="김장 김치", price=29000, stock=10)
        session.add(product)
        await session.flush()
        for status in (OrderStatus.PAID, OrderStatus.DELIVERED, OrderStatus.PENDING):
            order = Order(
                user_id=shopper.id,
                store_id=store.id,
                show_id=show.id,
                status=status,
                total=29000,
                reserved_until=started + dt.timedelta(minutes=20),
                recipient_name="민수",
                phone="01012345678",
                postcode="04001",
                address="서울 마포구",
            )
            session.add(order)
            await session.flush()
            session.add(
                OrderLine(
                    order_id=order.id,
                    product_id=product.id,
                    quantity=1,
                    unit_price=29000,
                    product_name="김장 김치",
                )
            )

    page = await (await client.get(f"/creators/{creator.id}")).text()
    assert page.count('data-testid="portfolio-entry"') == 1 and "명절 모음전" in page
    assert _cell(page, "portfolio-viewers") == "비공개"
    assert _cell(page, "portfolio-orders") == "비공개"
    assert "진행" in page.split('data-testid="portfolio"')[1]

    # Only the store's merchant decides what is published.
    await login_as(client, creator)
    refused = await client.post(
        f"/shows/{show.id}/publication", data={"viewers": "1", "_csrf": csrf(client)}
    )
    assert refused.status == 403
    await client.post("/logout", data={"_csrf": csrf(client)})
    await login_as(client, merchant)
    await client.post(f"/shows/{show.id}/publication", data={"viewers": "1", "_csrf": csrf(client)})
    page = await (await client.get(f"/creators/{creator.id}")).text()
    assert _cell(page, "portfolio-viewers") == "5"
    assert _cell(page, "portfolio-orders") == "비공개"
    await client.post(
        f"/shows/{show.id}/publication",
        data={"viewers": "1", "orders": "1", "_csrf": csrf(client)},
    )
    page = await (await client.get(f"/creators/{creator.id}")).text()
    assert _cell(page, "portfolio-orders") == "2"
