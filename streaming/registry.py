"""Every show's live `Broadcast`, owned by the application (created in `setup`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from server.events import LiveEvent
from streaming.broadcast import Broadcast, StreamConfig


class BroadcastRegistry:
    def __init__(
        self,
        config: StreamConfig,
        on_publisher_gone: Callable[[int], Awaitable[None]],
        on_change: Callable[[int, LiveEvent, dict[str, Any]], Awaitable[None]],
    ) -> None:
        self.config = config
        self._on_publisher_gone = on_publisher_gone
        self._on_change = on_change
        self._broadcasts: dict[int, Broadcast] = {}

    def get(self, show_id: int) -> Broadcast | None:
        return self._broadcasts.get(show_id)

    def get_or_create(self, show_id: int, *, record: bool = True) -> Broadcast:
        """`record=False` for a demo show: its looping clip would fill the disk."""
        broadcast = self._broadcasts.get(show_id)
        if broadcast is None or broadcast.closed:
            broadcast = Broadcast(
                show_id, self.config, self._on_publisher_gone, self._on_change, record=record
            )
            self._broadcasts[show_id] = broadcast
        return broadcast

    def all(self) -> list[Broadcast]:
        return list(self._broadcasts.values())

    def publishing(self) -> list[int]:
        """The shows whose publisher is connected to this process."""
        return [i for i, b in self._broadcasts.items() if b.publishing and not b.closed]

    async def end(self, show_id: int) -> None:
        broadcast = self._broadcasts.pop(show_id, None)
        if broadcast is not None:
            await broadcast.close()

    async def close_all(self) -> None:
        broadcasts = list(self._broadcasts.values())
        self._broadcasts.clear()
        await asyncio.gather(*(b.close() for b in broadcasts), return_exceptions=True)
