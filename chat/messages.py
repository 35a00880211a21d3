"""An accepted chat message on its way to the database and the room, and how a window
of them is stored.

A window is stored in one transaction. If that fails (one row the database refuses must
not cost the others their place), each message is tried again on its own and only the
ones the database refuses are dropped, each logged with who sent it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat.models import ChatMessage

log = logging.getLogger("jangteo.chat")


@dataclass(frozen=True)
class Draft:
    """A message that passed every rule: stored with its window, then sent."""

    key: str
    show_id: int
    user_id: int
    author: str
    badge: str
    text: str
    question: bool
    offset_ms: int | None
    at: dt.datetime


def draft_view(draft: Draft) -> dict[str, Any]:
    return {
        "id": draft.key,
        "show_id": draft.show_id,
        "user_id": draft.user_id,
        "author": draft.author,
        "badge": draft.badge,
        "text": draft.text,
        "question": draft.question,
        "answered": False,
        "offset_ms": draft.offset_ms,
        "at": draft.at.isoformat(),
    }


def _row(draft: Draft) -> dict[str, Any]:
    return {
        "key": draft.key,
        "show_id": draft.show_id,
        "user_id": draft.user_id,
        "author_name": draft.author,
        "badge": draft.badge,
        "body": draft.text,
        "offset_ms": draft.offset_ms,
        "is_question": draft.question,
        "created_at": draft.at,
    }


async def insert_messages(session: AsyncSession, drafts: Sequence[Draft]) -> None:
    """Insert accepted messages, in order, as one bulk INSERT (no ORM objects to track:
    this runs on the delivery path, once per window)."""
    if drafts:
        await session.execute(insert(ChatMessage), [_row(d) for d in drafts])


async def store_window(
    sessionmaker: async_sessionmaker[AsyncSession], drafts: Sequence[Draft]
) -> list[Draft]:
    """Commit a window of messages; the ones now durable, in order."""
    try:
        async with sessionmaker.begin() as db:
            await insert_messages(db, drafts)
        return list(drafts)
    except Exception:
        if len(drafts) == 1:
            _log_dropped(drafts[0])
            return []
        log.warning("storing a window of %d chat messages failed; one by one", len(drafts))
    stored = []
    for draft in drafts:
        try:
            async with sessionmaker.begin() as db:
                await insert_messages(db, [draft])
        except Exception:
            _log_dropped(draft)
        else:
            stored.append(draft)
    return stored


def _log_dropped(draft: Draft) -> None:
    log.exception(
        "chat message could not be stored; dropped",
        extra={"message_key": draft.key, "show_id": draft.show_id, "user_id": draft.user_id},
    )
