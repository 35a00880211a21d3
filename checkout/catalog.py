"""Products, a show's line-up, pinning and flash sales. Query functions take the session
first; who may do what is checked here, next to the data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from checkout.errors import BadCheckoutInput, NotPresenter, NotYourStore, ProductNotFound
from checkout.models import FlashSale, LineupItem, Product, ProductCategory, Variant
from server.accounts.models import Role, User
from server.db import utcnow
from server.errors import N_
from server.limits import is_whole
from server.shows import service as shows
from server.shows.models import Show

MAX_PRICE = 100_000_000
MAX_STOCK = 1_000_000
MAX_PER_ORDER = 99
MAX_SALE_MINUTES = 120


@dataclass(frozen=True)
class ProductInput:
    name: str
    price: int
    stock: int
    description: str = ""
    per_order_limit: int = 10
    # (name, stock) for each variant; an empty tuple means a product without variants.
    variants: tuple[tuple[str, int], ...] = ()
    # A `ProductCategory` value or "" (not chosen).
    category: str = ""


def can_manage_store(user: User | None, store_id: int) -> bool:
    if user is None or not user.is_active:
        return False
    return user.role is Role.OPERATOR or (user.role is Role.MERCHANT and user.store_id == store_id)


def check_store(user: User | None, store_id: int) -> None:
    if not can_manage_store(user, store_id):
        raise NotYourStore()


def check_presenter(user: User | None, show: Show) -> None:
    if not shows.can_present(user, show):
        raise NotPresenter()


def parse_int(raw: object, field: str, low: int, high: int) -> int:
    """An integer within bounds from JSON or a form; bools and floats are refused."""
    if isinstance(raw, str):
        text = raw.strip()
        if is_whole(text.removeprefix("-")):
            raw = int(text)
    if not isinstance(raw, int) or isinstance(raw, bool) or not low <= raw <= high:
        raise BadCheckoutInput(
            N_("Enter a whole number from %(low)d to %(high)d."), field=field, low=low, high=high
        )
    return raw


def validate(data: ProductInput) -> ProductInput:
    name = data.name.strip()
    if not 1 <= len(name) <= 120:
        raise BadCheckoutInput(N_("Enter a product name of 1 to 120 characters."), field="name")
    parse_int(data.price, "price", 1, MAX_PRICE)
    parse_int(data.stock, "stock", 0, MAX_STOCK)
    parse_int(data.per_order_limit, "per_order_limit", 1, MAX_PER_ORDER)
    variants = []
    for variant_name, stock in data.variants:
        if not 1 <= len(variant_name.strip()) <= 80:
            raise BadCheckoutInput(
                N_("Each option needs a name of 1 to 80 characters."), field="variants"
            )
        variants.append((variant_name.strip(), parse_int(stock, "variants", 0, MAX_STOCK)))
    if data.category and data.category not in set(ProductCategory):
        raise BadCheckoutInput(N_("Choose a category from the list."), field="category")
    return ProductInput(
        name=name,
        price=data.price,
        stock=data.stock,
        description=data.description.strip(),
        per_order_limit=data.per_order_limit,
        variants=tuple(variants),
        category=data.category,
    )


async def get_product(session: AsyncSession, product_id: int) -> Product:
    product = await session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .options(selectinload(Product.variants))
        .execution_options(populate_existing=True)
    )
    if product is None:
        raise ProductNotFound(product_id=product_id)
    return product


async def products_of_store(
    session: AsyncSession, store_id: int, include_archived: bool = False
) -> list[Product]:
    query = select(Product).where(Product.store_id == store_id).order_by(Product.id.desc())
    if not include_archived:
        query = query.where(Product.archived.is_(False))
    rows = await session.scalars(query.options(selectinload(Product.variants)))
    return list(rows)


async def create_product(
    session: AsyncSession,
    actor: User,
    store_id: int,
    data: ProductInput,
    image_path: str | None = None,
    *,
    during: Show | None = None,
) -> Product:
    """A new product. `during`: a quick listing in that live show, which its presenters
    (creators included) may make for the show's store."""
    quick = during is not None and during.store_id == store_id and shows.can_present(actor, during)
    if not quick:
        check_store(actor, store_id)
    data = validate(data)
    product = Product(
        store_id=store_id,
        name=data.name,
        description=data.description,
        price=data.price,
        stock=0 if data.variants else data.stock,
        per_order_limit=data.per_order_limit,
        image_path=image_path,
        category=data.category,
    )
    product.variants = [Variant(name=n, stock=s) for n, s in data.variants]
    session.add(product)
    await session.flush()
    return await get_product(session, product.id)


async def update_product(
    session: AsyncSession,
    actor: User,
    product: Product,
    data: ProductInput,
    image_path: str | None = None,
) -> Product:
    """Edit a product. Variants are matched by name: stock set, new ones added; a variant
    left out is kept at zero stock, since past orders point at it."""
    check_store(actor, product.store_id)
    data = validate(data)
    product.name, product.description = data.name, data.description
    product.price, product.per_order_limit = data.price, data.per_order_limit
    product.category = data.category
    if image_path:
        product.image_path = image_path
    wanted = dict(data.variants)
    for variant in product.variants:
        variant.stock = wanted.pop(variant.name, 0)
    for name, stock in wanted.items():
        product.variants.append(Variant(name=name, stock=stock))
    product.stock = 0 if product.variants else data.stock
    await session.flush()
    return await get_product(session, product.id)


# --- line-up ----------------------------------------------------------------------------


async def lineup(session: AsyncSession, show_id: int) -> list[LineupItem]:
    rows = await session.scalars(
        select(LineupItem)
        .where(LineupItem.show_id == show_id)
        .order_by(LineupItem.position, LineupItem.id)
        .options(selectinload(LineupItem.product).selectinload(Product.variants))
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def add_to_lineup(
    session: AsyncSession, actor: User, show: Show, product_id: int
) -> LineupItem:
    check_presenter(actor, show)
    product = await get_product(session, product_id)
    if product.store_id != show.store_id:
        raise BadCheckoutInput(
            N_("Only this store's products can be shown in its shows."), field="product_id"
        )
    existing = await session.scalar(
        select(LineupItem).where(LineupItem.show_id == show.id, LineupItem.product_id == product_id)
    )
    if existing is not None:
        return existing
    last = await session.scalar(
        select(func.max(LineupItem.position)).where(LineupItem.show_id == show.id)
    )
    item = LineupItem(show_id=show.id, product_id=product_id, position=(last or 0) + 1)
    session.add(item)
    await session.flush()
    return item


async def pin(session: AsyncSession, actor: User, show: Show, product_id: int) -> Product:
    check_presenter(actor, show)
    item = await session.scalar(
        select(LineupItem).where(LineupItem.show_id == show.id, LineupItem.product_id == product_id)
    )
    if item is None:
        raise BadCheckoutInput(
            N_("Add the product to the show's line-up first."), field="product_id"
        )
    await session.execute(
        update(LineupItem).where(LineupItem.show_id == show.id).values(pinned_at=None)
    )
    now = utcnow()
    await session.execute(
        update(LineupItem)
        .where(LineupItem.id == item.id)
        .values(pinned_at=now, presented_at=func.coalesce(LineupItem.presented_at, now))
    )
    return await get_product(session, product_id)


async def unpin(session: AsyncSession, actor: User, show: Show) -> None:
    check_presenter(actor, show)
    await session.execute(
        update(LineupItem).where(LineupItem.show_id == show.id).values(pinned_at=None)
    )


async def pinned_product_id(session: AsyncSession, show_id: int) -> int | None:
    return await session.scalar(
        select(LineupItem.product_id).where(
            LineupItem.show_id == show_id, LineupItem.pinned_at.is_not(None)
        )
    )


# --- flash sales --------------------------------------------------------------------------


async def running_sale(
    session: AsyncSession, show_id: int, product_id: int, now: dt.datetime | None = None
) -> FlashSale | None:
    now = now or utcnow()
    return await session.scalar(
        select(FlashSale)
        .where(
            FlashSale.show_id == show_id,
            FlashSale.product_id == product_id,
            FlashSale.starts_at <= now,
            FlashSale.ends_at > now,
        )
        .order_by(FlashSale.id.desc())
        .execution_options(populate_existing=True)
    )


async def start_sale(
    session: AsyncSession,
    actor: User,
    show: Show,
    *,
    product_id: int,
    price: object,
    cap: object,
    minutes: object,
    per_shopper: object = 1,
) -> FlashSale:
    check_presenter(actor, show)
    if show.state.value != "live":
        raise BadCheckoutInput(N_("A flash sale can only run during a live show."))
    product = await pin(session, actor, show, product_id)
    sale_price = parse_int(price, "price", 1, product.price)
    sale_cap = parse_int(cap, "cap", 1, MAX_STOCK)
    duration = parse_int(minutes, "minutes", 1, MAX_SALE_MINUTES)
    limit = parse_int(per_shopper, "per_shopper", 1, MAX_PER_ORDER)
    now = utcnow()
    await session.execute(
        update(FlashSale)
        .where(FlashSale.show_id == show.id, FlashSale.ends_at > now)
        .values(ends_at=now)
    )
    sale = FlashSale(
        show_id=show.id,
        product_id=product_id,
        price=sale_price,
        cap=sale_cap,
        per_shopper=limit,
        starts_at=now,
        ends_at=now + dt.timedelta(minutes=duration),
    )
    session.add(sale)
    await session.flush()
    return sale


async def end_sale(session: AsyncSession, actor: User, show: Show) -> list[FlashSale]:
    check_presenter(actor, show)
    now = utcnow()
    running = list(
        await session.scalars(
            select(FlashSale).where(FlashSale.show_id == show.id, FlashSale.ends_at > now)
        )
    )
    for sale in running:
        sale.ends_at = now
    await session.flush()
    return running


async def sales_of_show(session: AsyncSession, show_id: int) -> Sequence[FlashSale]:
    return list(
        await session.scalars(
            select(FlashSale)
            .where(FlashSale.show_id == show_id)
            .order_by(FlashSale.id)
            .execution_options(populate_existing=True)
        )
    )
