"""What posting needs to know about a show's room, as one immutable value.

A leaf module: the cache builds it, the posting rules read it, and neither has to
import the other for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class RoomContext:
    show_id: int
    store_id: int
    started_at: dt.datetime | None
    # Ended or cancelled: the room is read-only (history and replay), nobody posts.
    closed: bool
    slow_mode_seconds: int
    frozen: bool
    banned_words: tuple[str, ...]
