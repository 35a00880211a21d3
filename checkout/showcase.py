"""Checkout's products for pages of other domains: a market's page and the first-show
guide read them (`server.markets.interfaces.StoreProductsSource`), the guide adds them
(`server.onboarding.interfaces.QuickProductMaker`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from checkout import catalog
from checkout.models import Product
from server.accounts.models import Store, User
from server.markets.interfaces import ProductCard
from server.media import thumb_path


async def products_of_stores(
    session: AsyncSession, store_ids: list[int], limit: int
) -> list[ProductCard]:
    if not store_ids:
        return []
    rows = await session.execute(
        select(Product, Store.name)
        .join(Store, Store.id == Product.store_id)
        .where(Product.store_id.in_(store_ids), Product.archived.is_(False))
        .order_by(Product.id.desc())
        .limit(limit)
    )
    return [
        ProductCard(
            name=product.name,
            price=product.price,
            url=f"/products/{product.id}",
            thumb_url=f"/media/{thumb_path(product.image_path)}" if product.image_path else None,
            store_name=store_name,
        )
        for product, store_name in rows.all()
    ]


async def add_quick_product(
    session: AsyncSession,
    actor: User,
    store_id: int,
    *,
    name: str,
    price: int,
    stock: int,
    image_path: str | None,
) -> None:
    """A product from the first-show guide: a name, a price, a stock and a photo."""
    await catalog.create_product(
        session,
        actor,
        store_id,
        catalog.ProductInput(name=name, price=price, stock=stock),
        image_path,
    )
