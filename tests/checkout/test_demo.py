"""The demo data gives each demo store products, already in its upcoming show's line-up."""

from __future__ import annotations

from checkout import catalog
from server import keys
from server.accounts import service as accounts
from server.demo import seed
from server.shows import service as shows
from tests.helpers import AppClient


async def test_demo_stores_have_products_in_their_line_ups(client: AppClient) -> None:
    app = client.app
    async with app[keys.sessionmaker].begin() as session:
        assert await seed(session)
    async with app[keys.sessionmaker]() as session:
        store = await accounts.get_store_by_slug(session, "namugyeol")
        products = await catalog.products_of_store(session, store.id)
        assert {p.name for p in products} == {"원목 도마", "나무 수저 세트"}
        board = next(p for p in products if p.name == "원목 도마")
        assert [v.name for v in board.variants] == ["소", "대"] and board.available == 8
        upcoming = [
            s for s in await shows.shows_of_store(session, store.id) if s.state.value == "scheduled"
        ]
        lineup = await catalog.lineup(session, upcoming[0].id)
        assert {item.product.name for item in lineup} == {"원목 도마", "나무 수저 세트"}
    resp = await client.get(f"/api/stores/{store.id}/products")
    assert len(await resp.json()) == 2
