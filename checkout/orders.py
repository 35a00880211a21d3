"""Orders: reserving stock, releasing it, marking payments, refunds, the merchant's flow.

Stock is taken with conditional UPDATEs (`... SET stock = stock - :n WHERE stock >= :n`)
inside the caller's transaction: either every line of an order gets its units or the
transaction rolls back and nothing was taken. Every change of an order's status is a
conditional UPDATE on the status it comes from, so two actors (the webhook and the
sweeper, two webhook deliveries) can never both apply it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from checkout import catalog
from checkout.errors import (
    BadCheckoutInput,
    IllegalOrderChange,
    NotOnSale,
    OrderNotFound,
    RefundTooLarge,
    SaleLimitReached,
    SoldOut,
)
from checkout.models import (
    CURRENCY,
    FlashSale,
    LineupItem,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Refund,
    SaleClaim,
    Variant,
)
from server.accounts.models import Store, User
from server.db import utcnow
from server.errors import N_
from server.i18n import format_krw
from server.shows.models import Show, ShowState

MAX_LINES = 10
DEFAULT_HOLD = dt.timedelta(minutes=10)
# Why an order ended the way it did; shown to the shopper through the catalogs.
NOTE_DECLINED = N_("The card was declined; the reserved stock went back on sale.")
NOTE_EXPIRED = N_("The reservation expired before payment; the stock went back on sale.")
NOTE_CANCELLED = N_("The payment was cancelled; the stock went back on sale.")
NOTE_SOLD_OUT_REFUND = N_(
    "Your payment arrived after the last unit was sold, so it was refunded in full."
)
NOTE_MERCHANT_REFUND = N_("Refunded by the store.")

# Merchant moves: target status -> statuses it may follow.
FLOW: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PREPARING: frozenset({OrderStatus.PAID}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.PAID, OrderStatus.PREPARING}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.SHIPPED}),
}
PAID_STATES = frozenset(
    {OrderStatus.PAID, OrderStatus.PREPARING, OrderStatus.SHIPPED, OrderStatus.DELIVERED}
)


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


def rowcount(result: object) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


async def _take_stock(
    session: AsyncSession, product: Product, variant: Variant | None, quantity: int
) -> None:
    if variant is not None:
        stmt = (
            update(Variant)
            .where(Variant.id == variant.id, Variant.stock >= quantity)
            .values(stock=Variant.stock - quantity)
        )
    else:
        stmt = (
            update(Product)
            .where(Product.id == product.id, Product.stock >= quantity)
            .values(stock=Product.stock - quantity)
        )
    if rowcount(await session.execute(stmt)) != 1:
        raise SoldOut(name=product.name, product_id=product.id)


async def _return_stock(session: AsyncSession, line: OrderLine) -> None:
    if line.variant_id is not None:
        await session.execute(
            update(Variant)
            .where(Variant.id == line.variant_id)
            .values(stock=Variant.stock + line.quantity)
        )
    else:
        await session.execute(
            update(Product)
            .where(Product.id == line.product_id)
            .values(stock=Product.stock + line.quantity)
        )


async def _claim_sale(
    session: AsyncSession, sale: FlashSale, user_id: int, quantity: int, name: str
) -> None:
    """Count the units against the sale's cap and the shopper's limit, atomically."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(SaleClaim)
        .values(sale_id=sale.id, user_id=user_id, quantity=0)
        .on_conflict_do_nothing(index_elements=["sale_id", "user_id"])
    )
    # The conditional UPDATE locks the shopper's row: two tabs of one shopper queue here.
    claimed = await session.execute(
        update(SaleClaim)
        .where(
            SaleClaim.sale_id == sale.id,
            SaleClaim.user_id == user_id,
            SaleClaim.quantity + quantity <= sale.per_shopper,
        )
        .values(quantity=SaleClaim.quantity + quantity)
    )
    if rowcount(claimed) != 1:
        held = await session.scalar(
            select(SaleClaim.quantity).where(
                SaleClaim.sale_id == sale.id, SaleClaim.user_id == user_id
            )
        )
        raise SaleLimitReached(limit=sale.per_shopper, held=held or 0)
    capped = await session.execute(
        update(FlashSale)
        .where(FlashSale.id == sale.id, FlashSale.claimed + quantity <= FlashSale.cap)
        .values(claimed=FlashSale.claimed + quantity)
    )
    if rowcount(capped) != 1:
        raise SoldOut(name=name, product_id=sale.product_id)


async def _unclaim_sale(session: AsyncSession, line: OrderLine, user_id: int) -> None:
    if line.sale_id is None:
        return
    await session.execute(
        update(FlashSale)
        .where(FlashSale.id == line.sale_id)
        .values(claimed=FlashSale.claimed - line.quantity)
    )
    await session.execute(
        update(SaleClaim)
        .where(SaleClaim.sale_id == line.sale_id, SaleClaim.user_id == user_id)
        .values(quantity=SaleClaim.quantity - line.quantity)
    )


async def _buyable(session: AsyncSession, show: Show, product_id: int) -> Product:
    product = await catalog.get_product(session, product_id)
    item = await session.scalar(
        select(LineupItem).where(LineupItem.show_id == show.id, LineupItem.product_id == product_id)
    )
    # Only what the show has put on screen can be bought: the pinned product, or one
    # pinned earlier (kept in the shopper's cart) — while live, and afterwards from its
    # replay while the merchant keeps the replay up (at the regular price: sales end).
    on_screen = show.state is ShowState.LIVE or (
        show.state is ShowState.ENDED and show.is_public and not show.replay_hidden
    )
    if item is None or item.presented_at is None or not on_screen or product.archived:
        raise NotOnSale(name=product.name)
    return product


async def place_order(
    session: AsyncSession,
    user: User,
    show: Show,
    lines: Sequence[LineRequest],
    shipping: Shipping,
    hold: dt.timedelta = DEFAULT_HOLD,
) -> Order:
    """Reserve the stock for a shopper's lines and create the pending order.

    Prices come from the database (the flash-sale price while a sale runs), never from
    the client. Raises SoldOut, SaleLimitReached or NotOnSale with nothing taken.
    """
    shipping = check_shipping(shipping)
    if not 1 <= len(lines) <= MAX_LINES:
        raise BadCheckoutInput(N_("An order has 1 to %(max)d items."), field="items", max=MAX_LINES)
    now = utcnow()
    store = await session.get(Store, show.store_id)
    assert store is not None
    order = Order(
        user_id=user.id,
        store_id=show.store_id,
        show_id=show.id,
        status=OrderStatus.PENDING,
        total=0,
        currency=CURRENCY,
        reserved_until=now + hold,
        refund_policy=store.refund_policy,
        show_offset_seconds=(
            int((now - show.started_at).total_seconds()) if show.started_at else None
        ),
        recipient_name=shipping.name,
        phone=shipping.phone,
        postcode=shipping.postcode,
        address=shipping.address,
        address_detail=shipping.address_detail,
    )
    # Reads and checks first; the contended conditional UPDATEs come last, so that the hot
    # rows (the product's stock, the sale's counter) stay locked only until the commit.
    order_lines: list[OrderLine] = []
    takes: list[tuple[Product, Variant | None, FlashSale | None, int]] = []
    for request in lines:
        product = await _buyable(session, show, request.product_id)
        quantity = catalog.parse_int(request.quantity, "quantity", 1, product.per_order_limit)
        variant = _variant(product, request.variant_id)
        sale = await catalog.running_sale(session, show.id, product.id, now)
        takes.append((product, variant, sale, quantity))
        order_lines.append(
            OrderLine(
                product_id=product.id,
                variant_id=variant.id if variant else None,
                sale_id=sale.id if sale else None,
                quantity=quantity,
                unit_price=sale.price if sale else product.price,
                product_name=product.name,
                variant_name=variant.name if variant else "",
            )
        )
    order.lines = order_lines
    order.refunds = []
    order.total = sum(line.subtotal for line in order_lines)
    session.add(order)
    await session.flush()
    for product, variant, sale, quantity in takes:
        if sale is not None:
            await _claim_sale(session, sale, user.id, quantity, product.name)
        await _take_stock(session, product, variant, quantity)
    return order


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


async def check_not_sold_out(
    session: AsyncSession, show_id: int, lines: Sequence[LineRequest]
) -> None:
    """A cheap read before the write transaction: once a flash sale is gone, the many
    shoppers still tapping "buy" are told so without queueing for the write lock. One
    query per line; the conditional UPDATEs stay the real guard."""
    now = utcnow()
    for request in lines:
        variants_total = (
            select(func.sum(Variant.stock))
            .where(Variant.product_id == Product.id)
            .scalar_subquery()
        )
        variant_stock = (
            select(Variant.stock)
            .where(Variant.id == (request.variant_id or 0), Variant.product_id == Product.id)
            .scalar_subquery()
        )
        sale_left = (
            select(FlashSale.cap - FlashSale.claimed)
            .where(
                FlashSale.show_id == show_id,
                FlashSale.product_id == Product.id,
                FlashSale.starts_at <= now,
                FlashSale.ends_at > now,
            )
            .order_by(FlashSale.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        row = (
            await session.execute(
                select(Product.name, Product.stock, variants_total, variant_stock, sale_left).where(
                    Product.id == request.product_id
                )
            )
        ).first()
        if row is None:
            continue  # the transaction says what is wrong with it
        name, stock, total, one, sale = row
        everything = total if total is not None else stock
        left = one if one is not None else everything
        if sale is not None:
            left, everything = min(left, sale), min(everything, sale)
        if left <= 0:
            # `whole`: no option of the product is left either.
            raise SoldOut(name=name, product_id=request.product_id, whole=everything <= 0)


async def get_order(session: AsyncSession, order_id: int) -> Order:
    order = await session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.lines), selectinload(Order.refunds))
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise OrderNotFound(order_id=order_id)
    return order


async def order_of_shopper(session: AsyncSession, user: User, order_id: int) -> Order:
    order = await get_order(session, order_id)
    if order.user_id != user.id:
        raise OrderNotFound(order_id=order_id)
    return order


async def order_of_store(session: AsyncSession, user: User, order_id: int) -> Order:
    order = await get_order(session, order_id)
    if not catalog.can_manage_store(user, order.store_id):
        raise OrderNotFound(order_id=order_id)
    return order


async def _move(
    session: AsyncSession,
    order_id: int,
    frm: frozenset[OrderStatus],
    to: OrderStatus,
    **values: object,
) -> bool:
    result = await session.execute(
        update(Order).where(Order.id == order_id, Order.status.in_(frm)).values(status=to, **values)
    )
    return rowcount(result) == 1


async def release(session: AsyncSession, order_id: int, note: str) -> bool:
    """Cancel a pending order and put its units back; False if it was not pending."""
    if not await _move(
        session, order_id, frozenset({OrderStatus.PENDING}), OrderStatus.CANCELLED, note=note
    ):
        return False
    order = await get_order(session, order_id)
    for line in order.lines:
        await _return_stock(session, line)
        await _unclaim_sale(session, line, order.user_id)
    return True


async def _retake(session: AsyncSession, order: Order) -> bool:
    """Take a cancelled order's units again (its payment arrived late); all or nothing."""
    try:
        async with session.begin_nested():
            for line in order.lines:
                product = await catalog.get_product(session, line.product_id)
                variant = next((v for v in product.variants if v.id == line.variant_id), None)
                await _take_stock(session, product, variant, line.quantity)
    except SoldOut:
        return False
    return True


@dataclass(frozen=True)
class PaidOutcome:
    order: Order
    newly_paid: bool = False
    # The payment came after the stock was gone: the caller refunds it.
    needs_refund: bool = False


async def mark_paid(session: AsyncSession, order_id: int, intent_id: str) -> PaidOutcome:
    now = utcnow()
    if await _move(
        session,
        order_id,
        frozenset({OrderStatus.PENDING}),
        OrderStatus.PAID,
        paid_at=now,
        payment_intent_id=intent_id,
    ):
        return PaidOutcome(await get_order(session, order_id), newly_paid=True)
    order = await get_order(session, order_id)
    if order.status is not OrderStatus.CANCELLED:
        return PaidOutcome(order)  # paid already, or refunded: a replay changes nothing
    # Cancelled (expired or given up) but the money came: sell it if the units are there.
    if await _retake(session, order) and await _move(
        session,
        order_id,
        frozenset({OrderStatus.CANCELLED}),
        OrderStatus.PAID,
        paid_at=now,
        payment_intent_id=intent_id,
        note="",
    ):
        return PaidOutcome(await get_order(session, order_id), newly_paid=True)
    return PaidOutcome(order, needs_refund=True)


async def record_refund(
    session: AsyncSession, order: Order, amount: int, refund_id: str, note: str
) -> Order:
    session.add(Refund(order_id=order.id, amount=amount, stripe_refund_id=refund_id, reason=note))
    refunded = order.refunded_amount + amount
    values: dict[str, object] = {"refunded_amount": refunded}
    if refunded >= order.total:
        values.update(status=OrderStatus.REFUNDED, note=note)
    await session.execute(update(Order).where(Order.id == order.id).values(**values))
    await session.flush()
    return await get_order(session, order.id)


def check_refund(order: Order, amount: object) -> int:
    if order.status not in PAID_STATES or not order.payment_intent_id:
        raise IllegalOrderChange(
            order_id=order.id, target=N_("refunded"), status=order.status.value
        )
    value = catalog.parse_int(amount, "amount", 1, catalog.MAX_PRICE)
    if value > order.refundable:
        raise RefundTooLarge(field="amount", max=format_krw(order.refundable))
    return value


async def advance(
    session: AsyncSession, actor: User, order: Order, target: str, tracking_number: str = ""
) -> Order:
    catalog.check_store(actor, order.store_id)
    try:
        to = OrderStatus(target)
    except ValueError:
        raise BadCheckoutInput(N_("Unknown order status."), field="status") from None
    if to not in FLOW:
        raise BadCheckoutInput(N_("Unknown order status."), field="status")
    values: dict[str, object] = {}
    if to is OrderStatus.SHIPPED:
        tracking = tracking_number.strip()
        if not 4 <= len(tracking) <= 40:
            raise BadCheckoutInput(N_("Enter the tracking number."), field="tracking_number")
        values["tracking_number"] = tracking
    if not await _move(session, order.id, FLOW[to], to, **values):
        raise IllegalOrderChange(order_id=order.id, target=to.value, status=order.status.value)
    return await get_order(session, order.id)


async def expired_orders(
    session: AsyncSession, now: dt.datetime, limit: int = 200
) -> list[tuple[int, str | None, int | None]]:
    rows = await session.execute(
        select(Order.id, Order.payment_intent_id, Order.show_id)
        .where(Order.status == OrderStatus.PENDING, Order.reserved_until < now)
        .order_by(Order.id)
        .limit(limit)
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def orders_of_user(session: AsyncSession, user_id: int) -> list[Order]:
    rows = await session.scalars(
        select(Order)
        .where(Order.user_id == user_id)
        .order_by(Order.id.desc())
        .limit(200)
        .options(selectinload(Order.lines), selectinload(Order.refunds))
    )
    return list(rows)


async def orders_of_store(
    session: AsyncSession,
    store_id: int,
    *,
    show_id: int | None = None,
    status: str = "",
    limit: int = 500,
) -> list[Order]:
    query = select(Order).where(Order.store_id == store_id)
    if show_id is not None:
        query = query.where(Order.show_id == show_id)
    if status:
        query = query.where(Order.status == status)
    rows = await session.scalars(
        query.order_by(Order.id.desc())
        .limit(limit)
        .options(selectinload(Order.lines), selectinload(Order.refunds))
    )
    return list(rows)


async def available(session: AsyncSession, product_id: int) -> int:
    product = await catalog.get_product(session, product_id)
    return product.available
