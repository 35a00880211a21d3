"""Chat's messages for a replay, in the order and at the moment they were posted."""

from __future__ import annotations

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
