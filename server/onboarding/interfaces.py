"""What the first-show guide needs from checkout, as a small protocol the factory wires
up: adding a product from the phone (checkout owns products and their rules)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User


class QuickProductMaker(Protocol):
    async def __call__(
        self,
        session: AsyncSession,
        actor: User,
        store_id: int,
        *,
        name: str,
        price: int,
        stock: int,
        image_path: str | None,
    ) -> None:
        """Add a product to the store with checkout's own checks (raises its errors)."""
