"""The demo's 90 days of past shows fill every insight in, on SQLite and PostgreSQL,
and the database goes on working as usual after the bulk insert."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from server import keys
from server.accounts import service as accounts
from server.analytics.insights import report
from server.analytics.insights.peers import Scope
from server.app import create_app
from server.demo import seed
from server.settings import Settings
from server.shows.models import Show, ShowState
from tests.helpers import make_show


@pytest.mark.postgres
async def test_the_demo_history_fills_every_insight(
    any_db_settings: Settings, aiohttp_client: Any
) -> None:
    app = create_app(any_db_settings)
    await aiohttp_client(app)
    async with app[keys.sessionmaker].begin() as session:
        assert await seed(session)
    sales = app[keys.sales_history]
    async with app[keys.sessionmaker]() as session:
        ended = await session.scalar(
            select(func.count(Show.id)).where(Show.state == ShowState.ENDED)
        )
        halmae = await accounts.get_store_by_slug(session, "halmae-banchan")
        gongbang = await accounts.get_store_by_slug(session, "namugyeol")
        platform, _ = await report.best_time(session, sales, halmae.id, Scope.PLATFORM)
        market, _ = await report.best_time(session, sales, halmae.id, Scope.MARKET)
        crafts, _ = await report.best_time(session, sales, gongbang.id, Scope.CATEGORY)
        sells = await report.what_sells(session, sales, halmae.id)
        returning = await report.store_returning(session, halmae.id)
    assert ended is not None and 300 <= ended <= 600
    assert len(platform.visible_cells) >= 10 and platform.own_shows >= 10
    assert market.group.enough and crafts.group.enough
    assert sells.advice and sells.products[0].orders_pinned
    assert sum(r.returning for _, r in returning) > 0
    assert await app[keys.forecaster].retrain()
    # Rows inserted with their ids given still leave the sequences ahead of them.
    show = await make_show(app, halmae)
    assert show.id > ended
