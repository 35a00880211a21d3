"""Every staff action on a show's chat as one domain call.

Each call checks that the actor may moderate the show, makes the change and writes its
audit line in one transaction (`chat.service`), then does what follows from it: the
room hears about it, posting forgets what it cached about the room or the user. The
Socket.IO namespace only parses, calls and translates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat import errors
from chat import service as chat
from chat.models import ChatRoom
from chat.posting import ChatPosting
from server.errors import DomainError
from server.events import ChatEvent
from server.shows.models import Show

T = TypeVar("T")


class RoomChannel(Protocol):
    """What moderation needs of the hub: tell a show's room, and wait for the messages
    in flight to be stored (an action on a message just shown must find it)."""

    async def publish(self, show_id: int, event: str, payload: dict[str, Any]) -> None: ...

    async def wait_stored(self) -> None: ...


@dataclass(frozen=True)
class Sanction:
    """A user just timed out or banned, and the reason to tell their open sockets."""

    user_id: int
    reason: DomainError


class ChatModeration:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        room: RoomChannel,
        posting: ChatPosting,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._room = room
        self._posting = posting

    async def _act(
        self,
        actor: chat.Chatter | None,
        show_id: int,
        action: Callable[[AsyncSession, chat.Chatter, Show], Awaitable[T]],
    ) -> T:
        if actor is None:
            raise errors.NotModerator()
        async with self._sessionmaker.begin() as db:
            show = await chat.moderated_show(db, actor, show_id)
            return await action(db, actor, show)

    async def open_questions(
        self, actor: chat.Chatter | None, show_id: int
    ) -> list[dict[str, Any]]:
        await self._room.wait_stored()

        async def load(db: AsyncSession, _: chat.Chatter, show: Show) -> list[dict[str, Any]]:
            return [chat.message_view(m) for m in await chat.open_questions(db, show.id)]

        return await self._act(actor, show_id, load)

    async def mark_answered(self, actor: chat.Chatter | None, show_id: int, key: str) -> None:
        await self._room.wait_stored()
        await self._act(actor, show_id, lambda db, a, s: chat.mark_answered(db, a, s, key))
        await self._room.publish(show_id, ChatEvent.QUESTION_ANSWERED, {"id": key})

    async def delete_message(self, actor: chat.Chatter | None, show_id: int, key: str) -> None:
        await self._room.wait_stored()
        await self._act(actor, show_id, lambda db, a, s: chat.delete_message(db, a, s, key))
        await self._room.publish(show_id, ChatEvent.MESSAGE_DELETED, {"id": key})

    async def time_out(
        self, actor: chat.Chatter | None, show_id: int, user_id: int, minutes: int
    ) -> Sanction:
        restriction = await self._act(
            actor, show_id, lambda db, a, s: chat.time_out(db, a, s, user_id, minutes)
        )
        self._posting.forget_user(user_id)
        return Sanction(user_id, chat.restriction_error(restriction))

    async def ban(
        self, actor: chat.Chatter | None, show_id: int, user_id: int, platform: bool
    ) -> Sanction:
        await self._act(actor, show_id, lambda db, a, s: chat.ban(db, a, s, user_id, platform))
        self._posting.forget_user(user_id)
        return Sanction(user_id, errors.Banned())

    async def _change_room(
        self,
        actor: chat.Chatter | None,
        show_id: int,
        change: Callable[[AsyncSession, chat.Chatter, Show], Awaitable[ChatRoom]],
    ) -> None:
        room = await self._act(actor, show_id, change)
        self._posting.forget_room(show_id)
        await self._room.publish(show_id, ChatEvent.ROOM_STATE, chat.room_view(room))

    async def set_slow_mode(self, actor: chat.Chatter | None, show_id: int, seconds: int) -> None:
        await self._change_room(
            actor, show_id, lambda db, a, s: chat.set_slow_mode(db, a, s, seconds)
        )

    async def set_frozen(self, actor: chat.Chatter | None, show_id: int, frozen: bool) -> None:
        await self._change_room(actor, show_id, lambda db, a, s: chat.set_frozen(db, a, s, frozen))

    async def set_notice(self, actor: chat.Chatter | None, show_id: int, text: str) -> None:
        await self._change_room(actor, show_id, lambda db, a, s: chat.set_notice(db, a, s, text))

    async def add_banned_word(
        self, actor: chat.Chatter | None, show_id: int, word: str, platform: bool
    ) -> None:
        await self._act(
            actor, show_id, lambda db, a, s: chat.add_banned_word(db, a, s, word, platform)
        )
        # A platform-wide word applies to every show's room.
        self._posting.forget_room(None if platform else show_id)

    async def appoint_moderator(
        self, actor: chat.Chatter | None, show_id: int, user_id: int
    ) -> None:
        await self._act(actor, show_id, lambda db, a, s: chat.appoint_moderator(db, a, s, user_id))
