"""Units for sale: taking and giving back stock and flash-sale claims, each one
conditional statement, and the news viewers get when the units change.

Every write here runs inside the caller's transaction: either every line of an order
gets its units or the transaction rolls back and nothing was taken.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from checkout import catalog
from checkout.errors import SaleLimitReached, SoldOut
from checkout.models import FlashSale, OrderLine, Product, SaleClaim, Variant

# ORM bulk UPDATEs whose in-session objects need no update: the caller has what the
# statement returned, or does not use the objects again.
NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class StockNews:
    """What viewers of a show hear about one product after its units changed."""

    product_id: int
    available: int
    sale: FlashSale | None = None

    @property
    def sold_out(self) -> bool:
        return self.available == 0 or (self.sale is not None and self.sale.claimed >= self.sale.cap)


def rowcount(result: object) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


async def take(
    session: AsyncSession, product: Product, variant: Variant | None, quantity: int
) -> int:
    """Take `quantity` units or raise SoldOut; returns the product's units left."""
    if variant is not None:
        stmt = (
            update(Variant)
            .where(Variant.id == variant.id, Variant.stock >= quantity)
            .values(stock=Variant.stock - quantity)
            .returning(Variant.stock)
        )
    else:
        stmt = (
            update(Product)
            .where(Product.id == product.id, Product.stock >= quantity)
            .values(stock=Product.stock - quantity)
            .returning(Product.stock)
        )
    left = (await session.execute(stmt, execution_options=NO_SYNC)).scalar()
    if left is None:
        # `whole`: not one unit of the product is left (a single unit was refused, and
        # it has no options); a larger quantity may be refused while some are left.
        raise SoldOut(
            name=product.name, product_id=product.id, whole=variant is None and quantity == 1
        )
    # What the statement returned, kept on the loaded row for the next line of the order.
    set_committed_value(variant if variant is not None else product, "stock", int(left))
    # The other options as read in this transaction: exact on SQLite (one writer at a
    # time), at worst a moment old on PostgreSQL. Only viewers' news depends on it.
    return product.available


async def give_back(session: AsyncSession, line: OrderLine) -> None:
    if line.variant_id is not None:
        stmt = (
            update(Variant)
            .where(Variant.id == line.variant_id)
            .values(stock=Variant.stock + line.quantity)
        )
    else:
        stmt = (
            update(Product)
            .where(Product.id == line.product_id)
            .values(stock=Product.stock + line.quantity)
        )
    await session.execute(stmt, execution_options=NO_SYNC)


async def claim_sale(
    session: AsyncSession, sale: FlashSale, user_id: int, quantity: int, name: str
) -> FlashSale:
    """Count the units against the shopper's limit and the sale's cap, atomically; returns
    the sale as it stands after the claim."""
    if quantity <= sale.per_shopper:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # One upsert: the shopper's row is created, or its count raised while it stays
        # within the limit (the conflict locks the row: two tabs of one shopper queue here).
        stmt = insert(SaleClaim).values(sale_id=sale.id, user_id=user_id, quantity=quantity)
        held = await session.scalar(
            stmt.on_conflict_do_update(
                index_elements=["sale_id", "user_id"],
                set_={"quantity": SaleClaim.quantity + quantity},
                where=SaleClaim.quantity + quantity <= sale.per_shopper,
            ).returning(SaleClaim.quantity)
        )
    else:
        held = None
    if held is None:
        before = await session.scalar(
            select(SaleClaim.quantity).where(
                SaleClaim.sale_id == sale.id, SaleClaim.user_id == user_id
            )
        )
        raise SaleLimitReached(limit=sale.per_shopper, held=before or 0)
    claimed = await session.scalar(
        update(FlashSale)
        .where(FlashSale.id == sale.id, FlashSale.claimed + quantity <= FlashSale.cap)
        .values(claimed=FlashSale.claimed + quantity)
        .returning(FlashSale.claimed),
        execution_options=NO_SYNC,
    )
    if claimed is None:  # one unit refused: the sale's units are gone, whatever the option
        raise SoldOut(name=name, product_id=sale.product_id, whole=quantity == 1)
    # What the statement returned, without reading the row again.
    set_committed_value(sale, "claimed", claimed)
    return sale


async def unclaim_sale(session: AsyncSession, line: OrderLine, user_id: int) -> None:
    if line.sale_id is None:
        return
    await session.execute(
        update(FlashSale)
        .where(FlashSale.id == line.sale_id)
        .values(claimed=FlashSale.claimed - line.quantity),
        execution_options=NO_SYNC,
    )
    await session.execute(
        update(SaleClaim)
        .where(SaleClaim.sale_id == line.sale_id, SaleClaim.user_id == user_id)
        .values(quantity=SaleClaim.quantity - line.quantity),
        execution_options=NO_SYNC,
    )


async def news_of(
    session: AsyncSession, show_id: int, product_ids: Iterable[int]
) -> list[StockNews]:
    """The news for products whose units just changed, read in the caller's transaction."""
    news = []
    for product_id in dict.fromkeys(product_ids):
        product = await catalog.get_product(session, product_id)
        sale = await catalog.running_sale(session, show_id, product_id)
        news.append(StockNews(product_id, product.available, sale))
    return news
