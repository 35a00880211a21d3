"""Demo products for `make run`: a few for each demo store, already in their shows'
line-ups so the studio can pin them at once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from checkout import catalog
from server.accounts import service as accounts
from server.accounts.models import User
from server.shows import service as shows
from server.shows.models import ShowState

DEMO_PRODUCTS: dict[str, tuple[catalog.ProductInput, ...]] = {
    "halmae-banchan": (
        catalog.ProductInput(
            name="김장 김치 2kg",
            price=29000,
            stock=30,
            per_order_limit=5,
            description="국산 배추와 고춧가루로 담근 김장 김치.",
            category="food",
        ),
        catalog.ProductInput(
            name="총각김치 1kg", price=18000, stock=20, per_order_limit=5, category="food"
        ),
        catalog.ProductInput(
            name="밑반찬 3종 세트",
            price=15000,
            stock=0,
            per_order_limit=3,
            variants=(("순한맛", 10), ("매운맛", 10)),
            category="food",
        ),
    ),
    "namugyeol": (
        catalog.ProductInput(
            name="원목 도마",
            price=39000,
            stock=0,
            per_order_limit=2,
            description="참나무 통원목을 손으로 깎았습니다.",
            variants=(("소", 5), ("대", 3)),
            category="crafts",
        ),
        catalog.ProductInput(
            name="나무 수저 세트", price=22000, stock=15, per_order_limit=4, category="crafts"
        ),
    ),
}


async def seed_products(session: AsyncSession, operator: User) -> None:
    for slug, products in DEMO_PRODUCTS.items():
        store = await accounts.get_store_by_slug(session, slug)
        made = [
            await catalog.create_product(session, operator, store.id, data) for data in products
        ]
        for show in await shows.shows_of_store(session, store.id):
            if show.state is ShowState.SCHEDULED:
                for product in made:
                    await catalog.add_to_lineup(session, operator, show, product.id)
