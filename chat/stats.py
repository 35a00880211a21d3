"""Chat's figures for the analytics: messages posted (and not deleted) per show, and the
live viewer and heart counts the sampler keeps."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat.hub import ChatHub
from chat.models import ChatMessage
from server.analytics.interfaces import ChatFigures


async def chat_figures(session: AsyncSession, show_ids: list[int]) -> dict[int, ChatFigures]:
    rows = await session.execute(
        select(ChatMessage.show_id, func.count(ChatMessage.id))
        .where(ChatMessage.show_id.in_(show_ids), ChatMessage.deleted_at.is_(None))
        .group_by(ChatMessage.show_id)
    )
    return {show_id: ChatFigures(messages=int(count)) for show_id, count in rows.all()}


class HubViewerCounter:
    """Viewer counts and heart totals from the chat hub's shared state, for the sampler."""

    def __init__(self, hub: ChatHub) -> None:
        self._hub = hub

    async def viewer_count(self, show_id: int) -> int:
        return await self._hub.viewer_count(show_id)

    async def heart_total(self, show_id: int) -> int:
        return await self._hub.heart_total(show_id)
