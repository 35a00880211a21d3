"""The insights through the real app: the figures a merchant reads on the pages and in
the CSV files, the k ≥ 5 rule, who may see which store's insights, and the forecast's
training job on a seeded history (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest

from server import keys
from server.accounts.models import Role
from server.app import create_app
from server.db import utcnow
from server.i18n import SEOUL
from server.settings import Settings
from tests.analytics.seeding import (
    ended_show,
    generated_history,
    journal,
    paid_order,
    seeded_store,
    visit,
)
from tests.helpers import AppClient, login_as, make_user


def recent_tuesday_8pm(weeks_back: int) -> dt.datetime:
    today = utcnow().astimezone(SEOUL).date()
    tuesday = today - dt.timedelta(days=(today.weekday() - 1) % 7 + 7 * (weeks_back + 1))
    return dt.datetime(tuesday.year, tuesday.month, tuesday.day, 20, tzinfo=SEOUL).astimezone(
        dt.UTC
    )


def rows_of(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def cell(page: str, chart: str, slot: str) -> tuple[str, str]:
    """(value, own shows) of one heatmap cell, e.g. slot "1-20" is Tuesday 20:00."""
    svg = page.split(f'data-chart="heatmap-{chart}"')[1].split("</svg>")[0]
    found = re.search(rf'data-cell="{slot}" data-value="([^"]*)" data-own="(\d+)"', svg)
    assert found, slot
    return found.group(1), found.group(2)


async def test_best_time_across_stores_and_the_k_rule(client: AppClient) -> None:
    app = client.app
    own = await seeded_store(app, "할매 반찬", "망원시장")
    # Four more stores in the same market, two in another: six other stores in all.
    others = [await seeded_store(app, f"망원 {i}", "망원시장") for i in range(1, 5)]
    others += [await seeded_store(app, f"통인 {i}", "통인시장", "서울 종로구") for i in (5, 6)]
    shopper = await make_user(app)
    for i, other in enumerate(others, start=1):
        show = await ended_show(app, other.store, recent_tuesday_8pm(i), peak=10 * i)
        for minute in range(i):
            await paid_order(app, show, other.product, shopper, 5 + minute)
    mine = await ended_show(app, own.store, recent_tuesday_8pm(0), peak=77)
    await paid_order(app, mine, own.product, shopper, 5)
    await login_as(client, own.merchant)

    page = await (await client.get("/merchant/insights?hours=1")).text()
    assert cell(page, "viewers", "1-20") == ("35.0", "1")  # (10 + 20 + … + 60) / 6
    assert cell(page, "orders", "1-20") == ("3.5", "1")
    assert cell(page, "orders", "2-20") == ("", "0")
    assert 'data-testid="best-slot"' in page and "3.5" in page

    table = rows_of(await (await client.get("/merchant/insights/best-time.csv?hours=1")).text())
    tuesday = next(r for r in table if r[0] == "화" and r[1] == "20시")
    assert tuesday[2:] == ["6", "35.0", "3.5", "1", "77.0", "1.0"]

    # The market: only four other stores, so none of their figures is shown.
    market = await (await client.get("/merchant/insights?scope=market&hours=1")).text()
    assert 'data-testid="too-few-stores"' in market
    assert cell(market, "viewers", "1-20") == ("", "1")
    assert not re.search(r'data-value="\d', market)
    market_csv = await (
        await client.get("/merchant/insights/best-time.csv?scope=market&hours=1")
    ).text()
    assert all(r[2:5] == ["", "", ""] for r in rows_of(market_csv)[1:])


async def test_what_sells_and_who_stays(client: AppClient) -> None:
    app = client.app
    own = await seeded_store(app, "할매 반찬", "망원시장")
    shopper, regular = await make_user(app), await make_user(app)
    first = await ended_show(app, own.store, recent_tuesday_8pm(2), title="첫 방송")
    await visit(app, first, "a", 0, 60)
    second = await ended_show(app, own.store, recent_tuesday_8pm(1), title="둘째 방송")
    product = {"id": own.product.id, "name": own.product.name}
    await journal(app, second, "product:pinned", 0, {"product": product, "sale": None})
    await journal(app, second, "product:unpinned", 10, {})
    await paid_order(app, second, own.product, shopper, 5)  # while pinned
    await paid_order(app, second, own.product, regular, 20)  # after
    for key, joined, left in (("a", 0, 60), ("b", 0, 10), ("c", 30, 40)):
        await visit(app, second, key, joined, left)
    await login_as(client, own.merchant)

    page = await (await client.get("/merchant/insights")).text()
    row = page.split(f'data-product="{own.product.id}"')[1].split("</tr>")[0]

    def figure(name: str) -> str:
        return row.split(f'data-figure="{name}">')[1].split("<")[0]

    assert figure("orders-pinned") == "1" and figure("orders-unpinned") == "1"
    assert figure("conversion-pinned") == "50.0%"  # 1 buyer of a and b, who saw it
    assert figure("revenue-per-minute") == "₩2,000"  # ₩20,000 in 10 pinned minutes
    assert "고정했을 때 분당 0.1건 팔렸어요" in page

    products = rows_of(await (await client.get("/merchant/insights/products.csv")).text())
    assert products[1][:5] == [own.product.name, "1", "10.0", "1", "1"]

    stays = await (await client.get(f"/shows/{second.id}/insights")).text()

    def stay(name: str) -> str:
        return stays.split(f'data-figure="{name}">')[1].split("<")[0]

    assert (stay("viewers"), stay("returning"), stay("returning-share")) == ("3", "1", "33.3%")
    assert 'data-chart="retention"' in stays and 'data-chart="timeline"' in stays
    assert 'data-testid="viewers-table"' in stays and "<td>20분</td><td>10</td>" in stays
    assert f'class="pin" data-product="{own.product.id}"' in stays
    departures = stays.split('data-testid="departures-table"')[1]
    assert re.findall(r'data-minute="(\d+)"', departures) == ["10", "40"]
    gone = rows_of(await (await client.get(f"/shows/{second.id}/insights/departures.csv")).text())
    # b left just as the pin ended: nothing was pinned any more.
    assert gone[11][:3] == ["10", "1", ""] and gone[41][:2] == ["40", "1"]
    curve = rows_of(await (await client.get(f"/shows/{second.id}/insights/retention.csv")).text())
    assert curve[1] == ["0", "100.0", "3"]


async def test_insights_are_for_the_store_and_operators_only(client: AppClient) -> None:
    app = client.app
    owner = await seeded_store(app, "가게 A", "망원시장")
    other = await seeded_store(app, "가게 B", "망원시장")
    show = await ended_show(app, owner.store, recent_tuesday_8pm(1), title="A의 방송")
    for path in (f"/shows/{show.id}/insights", f"/merchant/insights?store={owner.store.id}"):
        assert (await client.get(path, allow_redirects=False)).status == 303  # sign in first
    await login_as(client, other.merchant)
    for path in (
        f"/shows/{show.id}/insights",
        f"/shows/{show.id}/insights/retention.csv",
        f"/merchant/insights?store={owner.store.id}",
        f"/merchant/insights/products.csv?store={owner.store.id}",
        f"/merchant/insights/forecast.csv?store={owner.store.id}",
    ):
        assert (await client.get(path)).status == 403, path
    own_page = await (await client.get("/merchant/insights")).text()
    assert "A의 방송" not in own_page and "가게 B" in own_page
    await login_as(client, await make_user(app))
    assert (await client.get("/merchant/insights")).status == 403
    await login_as(client, await make_user(app, Role.OPERATOR))
    operated = await client.get(f"/merchant/insights?store={owner.store.id}")
    assert operated.status == 200 and "A의 방송" in await operated.text()
    stays = await (await client.get(f"/shows/{show.id}/insights")).text()
    assert "A의 방송" in stays


async def test_who_stays_waits_for_the_end(client: AppClient) -> None:
    from tests.helpers import make_show

    owner = await seeded_store(client.app, "가게 A", "망원시장")
    show = await make_show(client.app, owner.store)
    await login_as(client, owner.merchant)
    response = await client.get(f"/shows/{show.id}/insights")
    assert response.status == 404
    assert "방송이 끝나면" in await response.text()


@pytest.mark.postgres
async def test_the_forecast_is_trained_and_shown_with_its_range(
    any_db_settings: Settings, aiohttp_client: Any
) -> None:
    app = create_app(any_db_settings)
    client: AppClient = await aiohttp_client(app)
    stores = [await seeded_store(app, f"가게 {i}", "망원시장") for i in range(6)]
    await login_as(client, stores[0].merchant)
    waiting = await (await client.get("/merchant/insights")).text()
    assert 'data-testid="forecast-pending"' in waiting

    made = await generated_history(app, stores, shows=70, now=utcnow())
    assert made >= 40
    assert await app[keys.forecaster].retrain()
    trained = app[keys.forecaster].current
    assert trained is not None and trained.shows == made and trained.stores == 6

    query = f"start=2099-03-03T20:00&minutes=60&flash_sales=1&products={stores[0].product.id}"
    page = await (await client.get(f"/merchant/insights?{query}")).text()
    for target in ("peak_viewers", "orders", "revenue"):
        value = page.split(f'data-figure="forecast-{target}">')[1].split("<")[0]
        low_high = page.split(f'data-figure="range-{target}">')[1].split("<")[0]
        assert value and "~" in low_high, (target, value, low_high)
    assert 'data-testid="reasons-table"' in page and "시간대" in page
    table = rows_of(await (await client.get(f"/merchant/insights/forecast.csv?{query}")).text())
    assert [r[0] for r in table[1:4]] == ["예상", "낮게는", "높게는"]
    low, point, high = (float(table[i][3]) for i in (2, 1, 3))
    assert low <= point <= high

    bad = await client.get("/merchant/insights?start=2099-03-03T20:00&minutes=5")
    assert bad.status == 422
    assert "10부터 720까지" in await bad.text()
    foreign = await client.get(f"/merchant/insights?{query}&products=999999")
    assert foreign.status == 422
