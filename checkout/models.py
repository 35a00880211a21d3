"""Catalog, show line-up, flash sales, orders, refunds and the Stripe events seen.

Money is an integer amount of KRW (zero-decimal) plus a currency. Stock columns are the
units still for sale: reserving takes units out with one conditional UPDATE, and a
CHECK keeps them from ever going below zero.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, UTCDateTime, utcnow
from server.errors import N_

CURRENCY = "krw"


class ProductCategory(enum.StrEnum):
    """What kind of thing a product is: stores that sell alike are compared (insights)."""

    FOOD = "food"
    PRODUCE = "produce"
    CRAFTS = "crafts"
    FASHION = "fashion"
    BEAUTY = "beauty"
    OTHER = "other"


# The words the pages show for each category (an empty category is "not chosen").
CATEGORY_LABELS: dict[str, str] = {
    ProductCategory.FOOD: N_("Side dishes & food"),
    ProductCategory.PRODUCE: N_("Farm & sea produce"),
    ProductCategory.CRAFTS: N_("Crafts & living"),
    ProductCategory.FASHION: N_("Fashion & accessories"),
    ProductCategory.BEAUTY: N_("Beauty & health"),
    ProductCategory.OTHER: N_("Other"),
}


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    image_path: Mapped[str | None] = mapped_column(String(255), default=None)
    price: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default=CURRENCY)
    # Units for sale when the product has no variants (variants keep their own stock).
    stock: Mapped[int] = mapped_column(Integer, default=0)
    per_order_limit: Mapped[int] = mapped_column(Integer, default=10)
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A `ProductCategory` value, or "" when the merchant has not chosen one.
    category: Mapped[str] = mapped_column(String(24), default="", server_default="")

    variants: Mapped[list[Variant]] = relationship(
        lazy="raise_on_sql", order_by="Variant.id", cascade="all, delete-orphan"
    )

    @property
    def has_variants(self) -> bool:
        return bool(self.variants)

    @property
    def available(self) -> int:
        """Needs `variants` loaded."""
        return sum(v.stock for v in self.variants) if self.variants else self.stock


class Variant(Base):
    __tablename__ = "product_variants"
    __table_args__ = (CheckConstraint("stock >= 0", name="stock_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    stock: Mapped[int] = mapped_column(Integer, default=0)


class LineupItem(Base):
    """A product attached to a show, in order; at most one of a show's items is pinned.

    `presented_at` is when it was first pinned: from then on it can be bought in this show
    (from the cart) even after another product takes the pin."""

    __tablename__ = "show_products"
    __table_args__ = (UniqueConstraint("show_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    pinned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    presented_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    product: Mapped[Product] = relationship(lazy="raise_on_sql")


class FlashSale(Base):
    """A special price for a while, for at most `cap` units, `per_shopper` each."""

    __tablename__ = "flash_sales"
    __table_args__ = (
        CheckConstraint("claimed >= 0 AND claimed <= cap", name="claimed_within_cap"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    price: Mapped[int] = mapped_column(Integer)
    cap: Mapped[int] = mapped_column(Integer)
    # Units held by pending or paid orders; released with their reservations.
    claimed: Mapped[int] = mapped_column(Integer, default=0)
    per_shopper: Mapped[int] = mapped_column(Integer, default=1)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    def is_running(self, now: dt.datetime) -> bool:
        return self.starts_at <= now < self.ends_at


class SaleClaim(Base):
    """Units one shopper holds in one flash sale: the row the per-shopper limit locks."""

    __tablename__ = "flash_sale_claims"
    __table_args__ = (
        UniqueConstraint("sale_id", "user_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("flash_sales.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer, default=0)


class OrderStatus(enum.StrEnum):
    PENDING = "pending"  # stock reserved, waiting for the payment
    PAID = "paid"
    PREPARING = "preparing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"  # payment failed, abandoned or expired: stock went back
    REFUNDED = "refunded"

    @property
    def label(self) -> str:
        """What a person reads for this status (an English msgid for the catalogs)."""
        return ORDER_STATUS_LABELS[self]


ORDER_STATUS_LABELS = {
    OrderStatus.PENDING: N_("Awaiting payment"),
    OrderStatus.PAID: N_("Paid"),
    OrderStatus.PREPARING: N_("Preparing"),
    OrderStatus.SHIPPED: N_("On its way"),
    OrderStatus.DELIVERED: N_("Delivered"),
    # Nobody cancelled anything: the payment never went through (declined, given up at
    # 3-D Secure, or the reservation ran out), so no money was taken.
    OrderStatus.CANCELLED: N_("Payment failed"),
    OrderStatus.REFUNDED: N_("Refunded"),
}


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= total", name="refund_within_total"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="RESTRICT"), index=True)
    show_id: Mapped[int | None] = mapped_column(
        ForeignKey("shows.id", ondelete="SET NULL"), index=True, default=None
    )
    status: Mapped[OrderStatus] = mapped_column(
        Enum(
            OrderStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=OrderStatus.PENDING,
        index=True,
    )
    total: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default=CURRENCY)
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    reserved_until: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    # The buying sheet's key for this purchase: a double tap, a retry after a timeout or a
    # second tab sending it again gets this order back instead of a second one.
    request_key: Mapped[str | None] = mapped_column(String(64), default=None)
    # Why an order was cancelled or refunded, as an English template for the catalogs.
    note: Mapped[str] = mapped_column(Text, default="")
    # Evidence: the store's refund policy and the show time (seconds since it went live).
    refund_policy: Mapped[str] = mapped_column(Text, default="")
    show_offset_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    recipient_name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20))
    postcode: Mapped[str] = mapped_column(String(5))
    address: Mapped[str] = mapped_column(String(200))
    address_detail: Mapped[str] = mapped_column(String(200), default="")
    tracking_number: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    # When the merchant marked it shipped and delivered: a withdrawal's 7 days run from
    # delivery (or from the day it should have arrived). Added by server/trust's migration.
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    lines: Mapped[list[OrderLine]] = relationship(
        lazy="raise_on_sql", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    refunds: Mapped[list[Refund]] = relationship(
        lazy="raise_on_sql", order_by="Refund.id", cascade="all, delete-orphan"
    )

    @property
    def refundable(self) -> int:
        return self.total - self.refunded_amount


class OrderLine(Base):
    """One product in an order, with a snapshot of what the shopper saw when buying."""

    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.id", ondelete="RESTRICT"), default=None
    )
    sale_id: Mapped[int | None] = mapped_column(
        ForeignKey("flash_sales.id", ondelete="RESTRICT"), default=None
    )
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)
    product_name: Mapped[str] = mapped_column(String(120))
    variant_name: Mapped[str] = mapped_column(String(80), default="")

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.quantity


class Refund(Base):
    __tablename__ = "order_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    stripe_refund_id: Mapped[str] = mapped_column(String(255), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentEvent(Base):
    """Each Stripe event id once: stored in the same transaction as the change it made."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    order_id: Mapped[int | None] = mapped_column(Integer, default=None)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
