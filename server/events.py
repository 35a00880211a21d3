"""How one domain tells live viewers about a change without importing another domain.

Checkout, for example, says "product pinned on show 7"; chat owns the Socket.IO server
and decides how that reaches the room. The factory hands the same publisher to both.
"""

from __future__ import annotations

from typing import Any, Protocol


class EventPublisher(Protocol):
    async def publish(self, show_id: int, event: str, payload: dict[str, Any]) -> None:
        """Send `event` with `payload` to everyone watching `show_id`."""


class RecordingPublisher:
    """Keeps what was published; used where no live channel is wired (CLI, unit tests)."""

    def __init__(self) -> None:
        self.published: list[tuple[int, str, dict[str, Any]]] = []

    async def publish(self, show_id: int, event: str, payload: dict[str, Any]) -> None:
        self.published.append((show_id, event, payload))
