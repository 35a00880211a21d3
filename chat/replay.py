"""Chat's messages for a replay, in the order and at the moment they were posted, and
around a moment (a dispute's evidence)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat.models import ChatMessage


async def replay_messages(session: AsyncSession, show_id: int) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(ChatMessage)
        .where(
            ChatMessage.show_id == show_id,
            ChatMessage.deleted_at.is_(None),
            ChatMessage.offset_ms.is_not(None),
        )
        .order_by(ChatMessage.offset_ms, ChatMessage.id)
    )
    return [
        {
            "offset_ms": m.offset_ms,
            "author": m.author_name,
            "badge": m.badge,
            "body": m.body,
            "question": m.is_question,
        }
        for m in rows
    ]


async def messages_around(
    session: AsyncSession, show_id: int, at: dt.datetime, seconds: int
) -> list[dict[str, Any]]:
    """Every message of a show posted within `seconds` of `at`, hidden ones marked: a
    dispute's evidence keeps what the room said around a purchase."""
    span = dt.timedelta(seconds=seconds)
    rows = await session.scalars(
        select(ChatMessage)
        .where(
            ChatMessage.show_id == show_id,
            ChatMessage.created_at >= at - span,
            ChatMessage.created_at <= at + span,
        )
        .order_by(ChatMessage.created_at, ChatMessage.id)
    )
    return [
        {
            "at": m.created_at.isoformat(),
            "offset_ms": m.offset_ms,
            "author": m.author_name,
            "badge": m.badge,
            "body": m.body,
            "deleted_by_moderator": m.deleted_at is not None,
        }
        for m in rows
    ]
