"""Entering a show's chat room: what a joining socket is told, as one domain call.

`RoomEntry.enter(chatter, show_id)` reads the show, the recent history, the room's
settings, the joiner's standing (staff, badge, any ban or time-out) and warms what
posting will need, so the first message needs no database round trip. Socket rooms,
viewer counts and presence stay with the namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat import errors
from chat import service as chat
from chat.posting import ChatPosting
from server.accounts.models import User
from server.errors import DomainError
from server.shows.errors import ShowNotFound
from server.shows.service import get_visible_show


class StoredMessages(Protocol):
    async def wait_stored(self) -> None: ...


@dataclass(frozen=True)
class Entry:
    show_id: int
    store_id: int
    history: list[dict[str, Any]]
    room: dict[str, Any]
    staff: bool
    badge: str
    # Why the joiner cannot post here now (a ban or a time-out), if they cannot.
    barred: DomainError | None


class RoomEntry:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        messages: StoredMessages,
        posting: ChatPosting,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._messages = messages
        self._posting = posting

    async def enter(self, chatter: chat.Chatter | None, show_id: int) -> Entry:
        # Messages already sent to the room are in the history too.
        await self._messages.wait_stored()
        async with self._sessionmaker() as db:
            # The same rule as every page and route: a show the viewer may not see (a
            # slot request, a rehearsal) is answered like one that does not exist.
            viewer = await db.get(User, chatter.user_id) if chatter else None
            try:
                show = await get_visible_show(db, viewer, show_id)
            except ShowNotFound:
                raise errors.ShowNotOpen() from None
            history = await chat.recent_messages(db, show_id)
            room = await chat.room_of(db, show_id)
            staff = await chat.can_moderate(db, chatter, show)
            badge = await chat.badge_for(db, chatter, show) if chatter else ""
            restriction = (
                await chat.active_restriction(db, chatter.user_id, show.store_id)
                if chatter
                else None
            )
        await self._posting.warm(
            show_id, chatter.user_id if chatter else None, show.store_id, restriction
        )
        return Entry(
            show_id=show_id,
            store_id=show.store_id,
            history=[chat.message_view(m) for m in history],
            room=chat.room_view(room),
            staff=staff,
            badge=badge,
            barred=chat.restriction_error(restriction) if restriction else None,
        )
