"""The chat hub: owns the Socket.IO server's fan-out for one process.

- Chat messages are batched: a message that passed the rules (`chat.posting`) waits for
  the end of a short window (none in a quiet room, see `_run_windows`); the window is
  then stored in one transaction, and only what was committed is sent, every recipient
  getting one `messages` frame with all of the window's messages instead of one frame
  per message. Nobody sees, and no sender is told of, a message a crash could still
  lose. At a thousand viewers the one frame per window is what keeps delivery fast
  (bench/chat.py); while a window is being stored the next one fills, so a slow commit
  makes windows larger, not later.
- Hearts are counted locally and flushed at most four times a second; viewer counts are
  recomputed once a second and sent only when they changed. With Redis, a per-window
  claim and a compare-and-swap on the last value sent keep those limits true across
  processes, not per process.
- It is also the app's EventPublisher: checkout and streaming reach a show's viewers
  through `publish` without knowing about Socket.IO; and its StorePublisher: checkout
  reaches a store's staff (the orders page) through `publish_to_store`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import socketio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat.messages import Draft, draft_view, store_window
from chat.state import VIEWER_TTL_SECONDS, ChatState
from server.events import ChatEvent

log = logging.getLogger("jangteo.chat")

HEART_TICK_SECONDS = 0.25  # → at most 4 heart broadcasts per second per show
VIEWER_TICK_SECONDS = 1.0


@dataclass(frozen=True)
class ChatOptions:
    # The shortest time between two windows (a busy room's frames per viewer are at most
    # one per this); a message in a quiet room is sent as soon as it is stored.
    batch_seconds: float = 0.1
    # Namespaces our Redis keys and the Socket.IO channel (tests use a unique one).
    redis_prefix: str = "jangteo:chat:"


def room_name(show_id: int) -> str:
    return f"show:{show_id}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def store_room(store_id: int) -> str:
    """The store's staff room: its merchant and operators who asked, never shoppers."""
    return f"store:{store_id}:staff"


class ChatHub:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        state: ChatState,
        options: ChatOptions,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        self.sio = sio
        self.state = state
        self.options = options
        self._sessionmaker = sessionmaker
        # The open window: accepted messages with the futures their senders wait on.
        self._window: list[tuple[Draft, asyncio.Future[bool]]] = []
        self._window_shows: set[int] = set()
        # The window being stored and sent.
        self._in_flight: list[tuple[Draft, asyncio.Future[bool]]] = []
        # Heart and viewer updates due while a show's window is open ride in its frame.
        self._extras: dict[int, dict[str, Any]] = {}
        self._work = asyncio.Event()
        self._queued = self._settled = 0
        self._settled_changed = asyncio.Condition()
        self._hearts: dict[int, int] = {}
        self._hearts_unsent: set[int] = set()
        # Sockets of this process watching each show (the count itself is in `state`).
        self.local_viewers: dict[int, set[str]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    # --- EventPublisher ---------------------------------------------------------------

    async def publish(self, show_id: int, event: str, payload: dict[str, Any]) -> None:
        await self.sio.emit(event, payload, room=room_name(show_id))

    # --- StorePublisher ---------------------------------------------------------------

    async def publish_to_store(self, store_id: int, event: str, payload: dict[str, Any]) -> None:
        await self.sio.emit(event, payload, room=store_room(store_id))

    # --- messages, batched ------------------------------------------------------------

    def post(self, draft: Draft) -> asyncio.Future[bool]:
        """Queue an accepted message. The future turns True once it is committed and
        sent to the room, False if the database refused it (it is then never shown)."""
        stored: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._window.append((draft, stored))
        self._window_shows.add(draft.show_id)
        self._queued += 1
        self._work.set()
        return stored

    async def wait_stored(self) -> None:
        """Until every message accepted so far is stored and sent (or refused by the
        database): a moderator acting on a message that was just shown must find it, a
        joining viewer finds it in the history and not again in a frame."""
        target = self._queued
        async with self._settled_changed:
            await self._settled_changed.wait_for(lambda: self._settled >= target)

    async def _run_windows(self) -> None:
        """Every window: store its messages, then send each show's room one frame.

        The window adapts to the traffic: in a quiet room a message closes its window
        as soon as it arrives (it waits only for its commit); when messages come faster
        than one per `batch_seconds`, a window closes `batch_seconds` after the previous
        one closed, so a busy room gets at most one frame per `batch_seconds` per viewer
        whatever the rate. The previous window's commit and send count towards that
        gap, and while a window is stored the next one fills."""
        loop = asyncio.get_running_loop()
        closed = -self.options.batch_seconds
        while True:
            await self._work.wait()
            await asyncio.sleep(max(0.0, closed + self.options.batch_seconds - loop.time()))
            closed = loop.time()
            self._in_flight, self._window = self._window, []
            self._window_shows = set()
            extras, self._extras = self._extras, {}
            self._work.clear()
            stored = await store_window(self._sessionmaker, [d for d, _ in self._in_flight])
            try:
                await self._send(stored, extras)
            except Exception:
                log.exception("sending a chat window failed")
            await self._settle(self._in_flight, {d.key for d in stored})
            self._in_flight = []

    async def _send(self, stored: list[Draft], extras: dict[int, dict[str, Any]]) -> None:
        frames: dict[int, list[dict[str, Any]]] = {}
        for draft in stored:
            frames.setdefault(draft.show_id, []).append(draft_view(draft))
        for show_id, views in frames.items():
            extra = extras.pop(show_id, None)
            data: Any = (views, extra) if extra else views
            await self.sio.emit(ChatEvent.MESSAGES, data, room=room_name(show_id))
        for show_id, extra in extras.items():  # shows whose messages were all refused
            for event, payload in extra.items():
                await self.sio.emit(event, payload, room=room_name(show_id))

    async def _settle(
        self, window: list[tuple[Draft, asyncio.Future[bool]]], stored_keys: set[str]
    ) -> None:
        for draft, stored in window:
            if not stored.done():
                stored.set_result(draft.key in stored_keys)
        async with self._settled_changed:
            self._settled += len(window)
            self._settled_changed.notify_all()

    async def _announce(self, show_id: int, event: str, payload: dict[str, Any]) -> None:
        """Send a heart or viewer update: in the show's next message frame if one is about
        to go (one frame fewer per viewer), else on its own."""
        if show_id in self._window_shows:
            self._extras.setdefault(show_id, {})[event] = payload
        else:
            await self.sio.emit(event, payload, room=room_name(show_id))

    # --- hearts -----------------------------------------------------------------------

    def add_heart(self, show_id: int) -> None:
        self._hearts[show_id] = self._hearts.get(show_id, 0) + 1

    async def heart_total(self, show_id: int) -> int:
        return await self.state.get_int(f"hearts:{show_id}") + self._hearts.get(show_id, 0)

    async def flush_hearts(self) -> None:
        pending, self._hearts = self._hearts, {}
        window = int(time.time() / HEART_TICK_SECONDS)
        for show_id in set(pending) | self._hearts_unsent:
            total = await self.state.incr(f"hearts:{show_id}", pending.get(show_id, 0))
            # One broadcast per window for the whole cluster; a process that lost the
            # claim tries again next window (the winner may already have sent `total`).
            if not await self.state.claim(f"hearts-window:{show_id}:{window}", 2000):
                self._hearts_unsent.add(show_id)
                continue
            self._hearts_unsent.discard(show_id)
            previous = await self.state.swap(f"hearts-sent:{show_id}", total)
            if previous != total:
                await self._announce(
                    show_id, ChatEvent.HEARTS, {"total": total, "added": total - (previous or 0)}
                )

    # --- viewers ----------------------------------------------------------------------

    async def viewer_joined(self, show_id: int, sid: str) -> None:
        self.local_viewers.setdefault(show_id, set()).add(sid)
        await self.state.add_viewer(show_id, sid)

    async def viewer_left(self, show_id: int, sid: str) -> None:
        sids = self.local_viewers.get(show_id)
        if sids is not None:
            sids.discard(sid)
            if not sids:
                del self.local_viewers[show_id]
        await self.state.remove_viewer(show_id, sid)

    async def viewer_count(self, show_id: int) -> int:
        """Sockets watching the show, on every process."""
        return await self.state.viewer_count(show_id)

    async def broadcast_viewers(self) -> None:
        for show_id in list(self.local_viewers):
            count = await self.state.viewer_count(show_id)
            if await self.state.swap(f"viewers-sent:{show_id}", count) != count:
                await self._announce(show_id, ChatEvent.VIEWERS, {"count": count})

    async def refresh_viewers(self) -> None:
        for show_id, sids in list(self.local_viewers.items()):
            await self.state.refresh_viewers(show_id, list(sids))

    # --- lifecycle --------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)

    async def _every(self, seconds: float, job: Any) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception:
                # A Redis hiccup must not stop hearts or counts for good.
                log.exception("chat background job failed")

    def start(self) -> None:
        self._spawn(self._run_windows())
        self._spawn(self._every(HEART_TICK_SECONDS, self.flush_hearts))
        self._spawn(self._every(VIEWER_TICK_SECONDS, self.broadcast_viewers))
        self._spawn(self._every(VIEWER_TTL_SECONDS / 3, self.refresh_viewers))

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for _, stored in self._in_flight + self._window:
            stored.cancel()  # their senders are gone with the server
        await self.sio.shutdown()
        await self.state.close()
