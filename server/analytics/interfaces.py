"""What the analytics need from the domains, as small protocols the factory wires up.

Chat knows how many are watching and what was said; checkout knows what was sold. They
hand their figures over through these, so analytics never reads their tables itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass
class ChatFigures:
    messages: int = 0
    hearts: int = 0


@dataclass
class SalesFigures:
    orders: int = 0
    revenue: int = 0  # KRW, paid minus refunded
    buyer_ids: set[int] = field(default_factory=set)
    revenue_by_product: dict[str, int] = field(default_factory=dict)


class ViewerCounter(Protocol):
    async def viewer_count(self, show_id: int) -> int:
        """Concurrent viewers of a show right now, across processes."""

    async def heart_total(self, show_id: int) -> int:
        """Hearts sent to a show so far."""


class ChatFiguresSource(Protocol):
    async def __call__(
        self, session: AsyncSession, show_ids: list[int]
    ) -> dict[int, ChatFigures]: ...


class SalesFiguresSource(Protocol):
    async def __call__(
        self, session: AsyncSession, show_ids: list[int]
    ) -> dict[int, SalesFigures]: ...


@dataclass(frozen=True)
class FigureSources:
    """What chat and checkout hand the analytics (functions over a session, no state)."""

    chat: ChatFiguresSource | None = None
    sales: SalesFiguresSource | None = None


class PresenceLog(Protocol):
    async def joined(self, show_id: int, viewer_key: str, user_id: int | None) -> int:
        """Record a viewer starting to watch; returns a visit id for `left`."""

    async def left(self, visit_id: int) -> None: ...
