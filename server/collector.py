"""Keeps full garbage collections short in a process holding thousands of connections.

A full collection scans every object the collector tracks. A chat process with 2,500
websockets tracks millions, and on the shared 2-core machine one such collection took
1–3 s (bench/chat.py with BENCH_GC=1), holding up every delivery behind it. What
survives a full collection is mostly long-lived (connections, sessions, caches), so
after each one `SurvivorFreezer` moves the survivors out of the collector's sight
(`gc.freeze`): the next full collection scans only what came since. Cycles among
frozen objects (those of a connection closed since, say) are not reclaimed while
frozen, so every `thaw_seconds` everything is unfrozen and the next full collection
reclaims them, then freezes what is left.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

THAW_SECONDS = 600.0


class SurvivorFreezer:
    def __init__(self, loop: asyncio.AbstractEventLoop, thaw_seconds: float = THAW_SECONDS):
        self._loop = loop
        self._thaw_seconds = thaw_seconds
        self._freeze_due = False
        self._thaw_timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        gc.freeze()  # what start-up made lives as long as the process
        gc.callbacks.append(self._collected)
        self._thaw_timer = self._loop.call_later(self._thaw_seconds, self._thaw)

    def stop(self) -> None:
        if self._collected in gc.callbacks:
            gc.callbacks.remove(self._collected)
        if self._thaw_timer is not None:
            self._thaw_timer.cancel()

    def _collected(self, phase: str, info: dict[str, Any]) -> None:
        # Runs inside the collection, in whichever thread triggered it: freeze after it,
        # on the loop.
        if (
            phase == "stop"
            and info["generation"] == 2
            and not self._freeze_due
            and not self._loop.is_closed()  # an app never cleaned up must not raise here
        ):
            self._freeze_due = True
            self._loop.call_soon_threadsafe(self._freeze)

    def _freeze(self) -> None:
        self._freeze_due = False
        gc.freeze()

    def _thaw(self) -> None:
        gc.unfreeze()
        self._thaw_timer = self._loop.call_later(self._thaw_seconds, self._thaw)
