"""Posting a chat message: one domain call that holds every rule.

`ChatPosting.post(poster, show_id, text)` either raises a DomainError (chat errors in
`chat.errors`: signed out, flooding, slow mode, timed out, banned, frozen room, ended
show, banned word, link, bad text) or returns the posted message with a future that
says whether it became durable. The Socket.IO namespace only parses, calls and
translates; nothing here knows about sockets.

Posting is the hot path: the room's rules and the poster's restriction come from
memory (`chat.cache`), the flood and slow-mode counters from `chat.state` (in memory,
or Redis across processes). The accepted message is queued in the outbox (the hub),
which stores each short window before anyone sees it.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from chat import errors
from chat.cache import PostingCache
from chat.messages import Draft
from chat.models import ChatRestriction
from chat.rooms import RoomContext
from chat.service import Chatter, restriction_error
from chat.state import ChatState
from chat.text import clean_message, contains_banned, has_link
from server.db import utcnow
from server.events import LiveEvent


@dataclass(frozen=True)
class PostingLimits:
    """Flood control for everyone but a show's staff: `count` messages per `seconds`,
    then `mute_seconds` of silence."""

    count: int = 3
    seconds: float = 2.0
    mute_seconds: float = 10.0


@dataclass(frozen=True)
class Poster:
    """Who posts, as the room learnt at `join`: their badge and whether they are staff
    (staff skip flood control, slow mode, the freeze and the link and word lists)."""

    chatter: Chatter | None
    badge: str = ""
    staff: bool = False


@dataclass(frozen=True)
class PostedMessage:
    draft: Draft
    # True once the message is committed (and then sent to the room); False if the
    # database refused it. Nobody is told a message is posted before it is durable.
    stored: asyncio.Future[bool]


class Outbox(Protocol):
    def post(self, draft: Draft) -> asyncio.Future[bool]:
        """Queue an accepted message: stored with its window, then sent to the room."""


class ChatPosting:
    def __init__(
        self,
        outbox: Outbox,
        cache: PostingCache,
        state: ChatState,
        limits: PostingLimits | None = None,
    ) -> None:
        self._outbox = outbox
        self._cache = cache
        self._state = state
        self._limits = limits or PostingLimits()

    async def post(
        self, poster: Poster, show_id: int, text: str, *, question: bool = False
    ) -> PostedMessage:
        chatter = poster.chatter
        if chatter is None:
            raise errors.SignInToChat()
        if not poster.staff:
            await self._flood_check(chatter.user_id)
        room = await self._cache.room(show_id)
        restriction = await self._cache.restriction(chatter.user_id, room.store_id)
        draft = check_message(room, restriction, poster, chatter, text, question=question)
        if not poster.staff:
            # Claimed last so a refused message does not cost the sender their turn.
            await self._slow_mode_check(room, chatter.user_id)
        return PostedMessage(draft, self._outbox.post(draft))

    async def _flood_check(self, user_id: int) -> None:
        limits = self._limits
        muted = await self._state.remaining_ms(f"mute:{user_id}")
        if muted:
            raise errors.TooFast(seconds=max(1, round(muted / 1000)))
        count = await self._state.hit(f"rate:{user_id}", int(limits.seconds * 1000))
        if count > limits.count:
            await self._state.claim(f"mute:{user_id}", int(limits.mute_seconds * 1000))
            raise errors.TooFast(seconds=round(limits.mute_seconds))

    async def _slow_mode_check(self, room: RoomContext, user_id: int) -> None:
        if room.slow_mode_seconds <= 0:
            return
        key = f"slow:{room.show_id}:{user_id}"
        if not await self._state.claim(key, room.slow_mode_seconds * 1000):
            left = await self._state.remaining_ms(key)
            raise errors.SlowMode(seconds=max(1, round(left / 1000)))

    # --- what posting remembers, primed and dropped by joins and moderation ------------

    async def warm(
        self, show_id: int, user_id: int | None, store_id: int, restriction: ChatRestriction | None
    ) -> None:
        """Load what posting needs while joining, not on the first message."""
        await self._cache.room(show_id)
        if user_id is not None:
            self._cache.prime_restriction(user_id, store_id, restriction)

    def forget_room(self, show_id: int | None = None) -> None:
        """A room's settings changed (None: a platform-wide banned word)."""
        self._cache.forget_room(show_id)

    def forget_user(self, user_id: int) -> None:
        """A user was timed out, banned or let back in."""
        self._cache.forget_user(user_id)

    def close(self) -> None:
        self._cache.close()

    # --- EventPublisher: a show that ended or was cancelled closes its room at once ---

    async def publish(self, show_id: int, event: LiveEvent, payload: dict[str, Any]) -> None:
        if event is LiveEvent.SHOW_STATE:
            self._cache.forget_room(show_id)


def check_message(
    room: RoomContext,
    restriction: ChatRestriction | None,
    poster: Poster,
    chatter: Chatter,
    raw_text: str,
    *,
    question: bool,
) -> Draft:
    """Apply the room's rules to one message; the draft to store, or an error."""
    text = clean_message(raw_text)
    if room.closed:
        raise errors.ShowClosed()
    if restriction is not None:
        raise restriction_error(restriction)
    if not poster.staff:
        if room.frozen:
            raise errors.ChatFrozen()
        if has_link(text):
            raise errors.LinksNotAllowed()
        if contains_banned(text, room.banned_words):
            raise errors.BannedWord()
    now = utcnow()
    offset = int((now - room.started_at).total_seconds() * 1000) if room.started_at else None
    return Draft(
        key=secrets.token_urlsafe(12),
        show_id=room.show_id,
        user_id=chatter.user_id,
        author=chatter.name,
        badge=poster.badge,
        text=text,
        question=question,
        offset_ms=offset,
        at=now,
    )
