"""Reserving: the shopper's lines checked against what the show has on screen, the
pending order written and its units taken, all in the caller's transaction.

Prices come from the database (the flash-sale price while a sale runs), never from the
client. The reads come first and the contended conditional UPDATEs last, so the hot
rows (the product's stock, the sale's counter) stay locked only until the commit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload, selectinload

from checkout import catalog, stock
from checkout.errors import BadCheckoutInput, NotOnSale, ProductNotFound
from checkout.models import (
    CURRENCY,
    FlashSale,
    LineupItem,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Variant,
)
from checkout.stock import StockNews
from server.accounts.models import Store, User
from server.db import utcnow
from server.errors import N_
from server.shows.errors import ShowNotFound
from server.shows.models import Show, ShowState

MAX_LINES = 10
DEFAULT_HOLD = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class LineRequest:
    product_id: int
    quantity: int
    variant_id: int | None = None


@dataclass(frozen=True)
class Shipping:
    name: str
    phone: str
    postcode: str
    address: str
    address_detail: str = ""


@dataclass(frozen=True)
class Reservation:
    """A pending order (lines loaded) and what viewers hear about the units it took."""

    order: Order
    news: list[StockNews]


def check_shipping(raw: Shipping) -> Shipping:
    name = raw.name.strip()
    phone = re.sub(r"[\s-]", "", raw.phone)
    postcode = raw.postcode.strip()
    if not 1 <= len(name) <= 60:
        raise BadCheckoutInput(N_("Enter the recipient's name."), field="name")
    if not re.fullmatch(r"0\d{8,10}", phone):
        raise BadCheckoutInput(
            N_("Enter a Korean phone number such as 010-1234-5678."), field="phone"
        )
    if not re.fullmatch(r"\d{5}", postcode):
        raise BadCheckoutInput(N_("Enter the 5-digit postcode."), field="postcode")
    if not 1 <= len(raw.address.strip()) <= 200:
        raise BadCheckoutInput(N_("Enter the address."), field="address")
    if len(raw.address_detail.strip()) > 200:
        raise BadCheckoutInput(N_("The address detail is too long."), field="address_detail")
    return Shipping(name, phone, postcode, raw.address.strip(), raw.address_detail.strip())


def check_lines(lines: Sequence[LineRequest]) -> None:
    if not 1 <= len(lines) <= MAX_LINES:
        raise BadCheckoutInput(N_("An order has 1 to %(max)d items."), field="items", max=MAX_LINES)


@dataclass(frozen=True)
class _OnScreen:
    product: Product  # variants loaded
    presented: bool  # pinned at some point in this show
    sale: FlashSale | None  # running now


async def _show_and_policy(session: AsyncSession, show_id: int) -> tuple[Show, str]:
    row = (
        await session.execute(
            select(Show, Store.refund_policy)
            .join(Store, Store.id == Show.store_id)
            .where(Show.id == show_id)
        )
    ).first()
    if row is None:
        raise ShowNotFound(show_id=show_id)
    return row[0], row[1]


async def _on_screen(
    session: AsyncSession, show: Show, product_ids: Sequence[int], now: dt.datetime
) -> dict[int, _OnScreen]:
    """Every requested product with its options, whether the show presented it and the
    flash sale running on it, in one statement."""
    sale = aliased(FlashSale)
    latest_sale = (
        select(FlashSale.id)
        .where(
            FlashSale.show_id == show.id,
            FlashSale.product_id == Product.id,
            FlashSale.starts_at <= now,
            FlashSale.ends_at > now,
        )
        .order_by(FlashSale.id.desc())
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Product, LineupItem.presented_at, sale)
        .outerjoin(
            LineupItem, and_(LineupItem.show_id == show.id, LineupItem.product_id == Product.id)
        )
        .outerjoin(sale, sale.id == latest_sale)
        .where(Product.id.in_(set(product_ids)))
        .options(joinedload(Product.variants))
        .execution_options(populate_existing=True)
    )
    return {
        product.id: _OnScreen(product, presented_at is not None, running)
        for product, presented_at, running in rows.unique()
    }


def _buyable(show: Show, found: dict[int, _OnScreen], product_id: int) -> _OnScreen:
    item = found.get(product_id)
    if item is None:
        raise ProductNotFound(product_id=product_id)
    # Only what the show has put on screen can be bought: the pinned product, or one
    # pinned earlier (kept in the shopper's cart) — while live, and afterwards from its
    # replay while the merchant keeps the replay up (at the regular price: sales end).
    on_screen = show.state is ShowState.LIVE or (
        show.state is ShowState.ENDED and show.is_public and not show.replay_hidden
    )
    if not item.presented or not on_screen or item.product.archived:
        raise NotOnSale(name=item.product.name)
    return item


def _variant(product: Product, variant_id: int | None) -> Variant | None:
    if product.variants:
        variant = next((v for v in product.variants if v.id == variant_id), None)
        if variant is None:
            raise BadCheckoutInput(
                N_("Choose an option for %(name)s."), field="variant_id", name=product.name
            )
        return variant
    if variant_id is not None:
        raise BadCheckoutInput(
            N_("%(name)s has no options."), field="variant_id", name=product.name
        )
    return None


def _lines_of(
    show: Show, found: dict[int, _OnScreen], lines: Sequence[LineRequest]
) -> list[tuple[OrderLine, _OnScreen, Variant | None]]:
    """Each requested line checked and priced (the sale price while a sale runs)."""
    priced = []
    for request in lines:
        item = _buyable(show, found, request.product_id)
        product, sale = item.product, item.sale
        quantity = catalog.parse_int(request.quantity, "quantity", 1, product.per_order_limit)
        variant = _variant(product, request.variant_id)
        line = OrderLine(
            product_id=product.id,
            variant_id=variant.id if variant else None,
            sale_id=sale.id if sale else None,
            quantity=quantity,
            unit_price=sale.price if sale else product.price,
            product_name=product.name,
            variant_name=variant.name if variant else "",
        )
        priced.append((line, item, variant))
    return priced


def _new_order(
    user: User, show: Show, refund_policy: str, shipping: Shipping, hold: dt.timedelta
) -> Order:
    now = utcnow()
    return Order(
        user_id=user.id,
        store_id=show.store_id,
        show_id=show.id,
        status=OrderStatus.PENDING,
        total=0,
        currency=CURRENCY,
        reserved_until=now + hold,
        refund_policy=refund_policy,
        show_offset_seconds=(
            int((now - show.started_at).total_seconds()) if show.started_at else None
        ),
        recipient_name=shipping.name,
        phone=shipping.phone,
        postcode=shipping.postcode,
        address=shipping.address,
        address_detail=shipping.address_detail,
    )


# Names the PostgreSQL advisory lock that serialises one shopper's keyed requests.
SHOPPER_LOCK = 7_240_116


async def _order_with_key(session: AsyncSession, user: User, key: str) -> Order | None:
    """The order this shopper already placed with this sheet's key, if any. (SQLite's
    writes are serialised already; on PostgreSQL a lock per shopper, held until this
    transaction ends, keeps two requests with one key from both creating an order.)"""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(SHOPPER_LOCK, user.id)))
    found: Order | None = await session.scalar(
        select(Order)
        .where(Order.user_id == user.id, Order.request_key == key)
        .options(selectinload(Order.lines), selectinload(Order.refunds))
    )
    if found is not None and found.status is OrderStatus.CANCELLED:
        # A declined card or an expired hold: trying again is a new order (the old one
        # gave its stock back), so the key moves to it.
        found.request_key = None
        await session.flush()
        return None
    return found


async def place_order(
    session: AsyncSession,
    user: User,
    show_id: int,
    lines: Sequence[LineRequest],
    shipping: Shipping,
    hold: dt.timedelta = DEFAULT_HOLD,
    request_key: str | None = None,
) -> Reservation:
    """Reserve the stock for a shopper's lines and create the pending order. Raises
    SoldOut, SaleLimitReached or NotOnSale with nothing taken (the caller's transaction
    rolls back)."""
    shipping = check_shipping(shipping)
    check_lines(lines)
    if request_key is not None:
        placed = await _order_with_key(session, user, request_key)
        if placed is not None:
            return Reservation(placed, [])  # the same purchase asked for again
    show, refund_policy = await _show_and_policy(session, show_id)
    found = await _on_screen(session, show, [line.product_id for line in lines], utcnow())
    priced = _lines_of(show, found, lines)
    order = _new_order(user, show, refund_policy, shipping, hold)
    order.request_key = request_key
    order.lines = [line for line, _, _ in priced]
    order.refunds = []
    order.total = sum(line.subtotal for line in order.lines)
    session.add(order)
    await session.flush()
    news: dict[int, StockNews] = {}
    for line, item, variant in priced:
        sale = item.sale
        if sale is not None:
            sale = await stock.claim_sale(session, sale, user.id, line.quantity, line.product_name)
        left = await stock.take(session, item.product, variant, line.quantity)
        news[item.product.id] = StockNews(item.product.id, left, sale)
    return Reservation(order, list(news.values()))
