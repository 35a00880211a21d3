"""What the insights need from checkout, as plain records and one small protocol.

Checkout knows what was sold, what was in a show's line-up and when its flash sales ran;
it hands that over through `SalesHistory` (implemented in `checkout/insights.py`, wired
by the factory), so the insights never read checkout's tables themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class ShowSales:
    orders: int = 0
    revenue: int = 0  # KRW, paid minus refunded


@dataclass(frozen=True)
class SoldLine:
    """One product of one sold order, at the moment the shopper placed it."""

    show_id: int
    order_id: int
    buyer_id: int
    product_id: int
    product_name: str
    quantity: int
    revenue: int  # this line's share of the order's net amount
    placed_at: dt.datetime


@dataclass(frozen=True)
class SaleWindow:
    """A flash sale: from its start until it ended (by time, sold out or by hand)."""

    show_id: int
    product_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class ProductFacts:
    id: int
    store_id: int
    name: str
    price: int
    category: str  # a checkout `ProductCategory` value, or "" when not chosen


@dataclass(frozen=True)
class LineupFacts:
    """What a show offered: its line-up's products and how many flash sales it ran."""

    products: tuple[ProductFacts, ...] = ()
    flash_sales: int = 0


class SalesHistory(Protocol):
    # The words for each category value (English, marked for the catalogs).
    category_labels: Mapping[str, str]

    async def show_sales(self, session: AsyncSession, show_ids: list[int]) -> dict[int, ShowSales]:
        """Orders and net revenue per show (shows without a sale are left out)."""

    async def sold_lines(self, session: AsyncSession, show_ids: list[int]) -> list[SoldLine]:
        """Every sold order line of these shows."""

    async def sale_windows(self, session: AsyncSession, show_ids: list[int]) -> list[SaleWindow]:
        """Every flash sale of these shows."""

    async def lineups(self, session: AsyncSession, show_ids: list[int]) -> dict[int, LineupFacts]:
        """The line-up and the flash-sale count of each show."""

    async def store_products(self, session: AsyncSession, store_id: int) -> list[ProductFacts]:
        """The products a store sells now (archived ones left out)."""

    async def store_categories(self, session: AsyncSession) -> dict[int, str]:
        """Each store's main category: the one most of its products have."""
