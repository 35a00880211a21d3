"""What the market page needs from checkout, as a small protocol the factory wires up
(checkout knows products; the directory never reads its tables)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class ProductCard:
    name: str
    price: int  # KRW
    url: str
    thumb_url: str | None
    store_name: str


class StoreProductsSource(Protocol):
    async def __call__(
        self, session: AsyncSession, store_ids: list[int], limit: int
    ) -> list[ProductCard]:
        """Products on sale in these stores, newest first."""
