"""Every event name, in one place and one style (`subject:what_happened`), and how one
domain tells live viewers about a change without importing another domain.

Checkout, for example, says "product pinned on show 7"; chat owns the Socket.IO server
and decides how that reaches the room. The factory hands the same publisher to both.
docs/events.md describes every payload.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any, Protocol

log = logging.getLogger("jangteo.events")


class LiveEvent(StrEnum):
    """Server → everyone watching a show, published by a domain through the publisher."""

    PRODUCT_PINNED = "product:pinned"
    PRODUCT_UNPINNED = "product:unpinned"
    PRODUCT_SOLD_OUT = "product:sold_out"
    SALE_STARTED = "sale:started"
    SALE_ENDED = "sale:ended"
    STOCK_CHANGED = "stock:changed"
    ORDER_PAID = "order:paid"
    STREAM_STATE = "stream:state"
    STREAM_VIEWERS = "stream:viewers"
    # A show moved through its lifecycle (live, ended, cancelled), whatever page, API
    # call or system rule moved it.
    SHOW_STATE = "show:state"


# Live events that are also written to the show's journal with their offset from the
# start: the replay's timeline and the analytics' markers come from these.
JOURNALED: frozenset[LiveEvent] = frozenset(
    {
        LiveEvent.PRODUCT_PINNED,
        LiveEvent.PRODUCT_UNPINNED,
        LiveEvent.SALE_STARTED,
        LiveEvent.SALE_ENDED,
        LiveEvent.PRODUCT_SOLD_OUT,
        LiveEvent.ORDER_PAID,
        LiveEvent.STREAM_STATE,
    }
)


class ChatCommand(StrEnum):
    """Socket.IO events a client sends to the server."""

    JOIN = "room:join"
    SEND_MESSAGE = "message:send"
    HEART = "heart:send"
    OPEN_QUESTIONS = "questions:open"
    MARK_ANSWERED = "question:mark_answered"
    DELETE_MESSAGE = "message:delete"
    TIMEOUT_USER = "user:timeout"
    BAN_USER = "user:ban"
    SET_SLOW_MODE = "room:set_slow_mode"
    SET_FROZEN = "room:set_frozen"
    SET_NOTICE = "room:set_notice"
    ADD_BANNED_WORD = "banned_word:add"
    APPOINT_MODERATOR = "moderator:appoint"
    # The merchant's orders page and console: hear the store's orders as they are paid.
    FOLLOW_STORE = "store:follow"


class ChatEvent(StrEnum):
    """Socket.IO events the server sends to clients (besides the live events above)."""

    JOINED = "room:joined"
    MESSAGES = "messages:batch"  # every message of one short window, in order
    STORED = "message:stored"  # to the sender: their message is durable (its id, their ref)
    MESSAGE_DELETED = "message:deleted"
    QUESTION_ANSWERED = "question:answered"
    QUESTIONS = "questions:list"
    HEARTS = "hearts:total"
    VIEWERS = "viewers:count"
    ROOM_STATE = "room:state"
    ERROR = "chat:error"
    DONE = "moderation:done"  # a moderation action succeeded (to the moderator only)
    STORE_FOLLOWED = "store:followed"  # the socket is now in the store's staff room


class EventPublisher(Protocol):
    async def publish(self, show_id: int, event: LiveEvent, payload: dict[str, Any]) -> None:
        """Send `event` with `payload` to everyone watching `show_id`."""


class StorePublisher(Protocol):
    async def publish_to_store(
        self, store_id: int, event: LiveEvent, payload: dict[str, Any]
    ) -> None:
        """Send `event` to the store's staff (its merchant, operators), never to shoppers."""


class RecordingPublisher:
    """Keeps what was published; used where no live channel is wired (CLI, unit tests)."""

    def __init__(self) -> None:
        self.published: list[tuple[int, str, dict[str, Any]]] = []

    async def publish(self, show_id: int, event: LiveEvent, payload: dict[str, Any]) -> None:
        self.published.append((show_id, event, payload))


class NoStorePublisher:
    """Where no live channel is wired (CLI, unit tests): store events go nowhere."""

    async def publish_to_store(
        self, store_id: int, event: LiveEvent, payload: dict[str, Any]
    ) -> None:
        return None


class LiveEventBus:
    """The one publisher the factory hands to every domain. It passes each event to its
    subscribers in the order they subscribed: chat's room fan-out first (viewers hear it
    at once), then the analytics journal, then whoever else listens (streaming hears
    that a show moved). One failing subscriber does not keep the event from the others."""

    def __init__(self) -> None:
        self._subscribers: list[EventPublisher] = []

    def subscribe(self, subscriber: EventPublisher) -> None:
        self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: EventPublisher) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    async def publish(self, show_id: int, event: LiveEvent, payload: dict[str, Any]) -> None:
        for subscriber in list(self._subscribers):
            try:
                await subscriber.publish(show_id, event, payload)
            except Exception:
                log.exception(
                    "live event subscriber failed",
                    extra={"show_id": show_id, "event": str(event)},
                )
