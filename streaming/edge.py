"""A node serving viewers of a show whose publisher is on another node (its origin).

The first viewer of such a show on this node makes it pull the show once from the
origin (streaming/pull.py) into a local `Broadcast`, which fans it out here; the origin
pays for one subscriber per edge, not per viewer. When the last viewer here leaves, the
pull ends after `relay_linger_seconds`. Which node is origin comes from the publisher
marks in Redis (streaming/origins.py); `check_origins`, run with the marks' refresh,
drops a pull whose origin is gone or moved and starts one for viewers left waiting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp

from streaming.broadcast import Broadcast, StreamConfig
from streaming.node_tokens import NodeTokens
from streaming.origins import PublisherPresence
from streaming.pull import OriginPull, PullRefused
from streaming.registry import BroadcastRegistry

EDGE_VIEWERS_TTL_SECONDS = 1.0

log = logging.getLogger("jangteo.streaming")

# After a pull broke while viewers watch, wait this long before asking for the origin.
REPULL_DELAY_SECONDS = 1.0


class EdgeNode:
    def __init__(
        self,
        registry: BroadcastRegistry,
        presence: PublisherPresence,
        tokens: NodeTokens,
        config: StreamConfig,
    ) -> None:
        self._registry = registry
        self._presence = presence
        self.tokens = tokens
        self._config = config
        self._locks: dict[int, asyncio.Lock] = {}
        self._http: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.pulls_started = 0
        # Every player polls its show's status: the edges' viewer count is read from
        # Redis at most once a second per show, not once per poll.
        self._edge_viewers: dict[int, tuple[float, int]] = {}

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    async def broadcast_for_viewer(self, show_id: int, *, record: bool = True) -> Broadcast:
        """The broadcast a viewer of `show_id` on this node watches: the local one, fed
        by a publisher here or by a pull from the origin (started now if needed).
        `record=False` for a demo show, should its publisher come here."""
        broadcast = self._registry.get_or_create(show_id, record=record)
        if broadcast.publishing or broadcast.upstream is not None:
            return broadcast
        lock = self._locks.setdefault(show_id, asyncio.Lock())
        async with lock:  # one pull per show however many viewers arrive at once
            broadcast = self._registry.get_or_create(show_id, record=record)
            if broadcast.publishing or broadcast.upstream is not None:
                return broadcast
            await self._pull(broadcast)
        return broadcast

    async def rehearsal_for_staff(self, show_id: int, *, record: bool = True) -> Broadcast | None:
        """A rehearsal's broadcast for its staff: here, or pulled from the node where it
        is published; None when nobody publishes it. Call only for the show's staff."""
        broadcast = self._registry.get(show_id)
        if broadcast is not None and (broadcast.publishing or broadcast.upstream is not None):
            return broadcast
        if await self._presence.origin_of(show_id) is None:
            return None
        broadcast = await self.broadcast_for_viewer(show_id, record=record)
        return broadcast if broadcast.upstream is not None or broadcast.publishing else None

    async def _pull(self, broadcast: Broadcast) -> None:
        origin = await self._presence.origin_of(broadcast.show_id)
        if origin is None:
            return  # nobody publishes elsewhere: the viewer waits here, as on one process
        pull = OriginPull(
            broadcast,
            origin,
            self.tokens.issue(broadcast.show_id),
            self._config.ice_servers,
            self._pull_closed,
        )
        try:
            await pull.start(self._client())
        except PullRefused as exc:
            log.warning(
                "could not pull a show from its origin",
                extra={"show_id": broadcast.show_id, "origin": origin, "reason": str(exc)},
            )
            return
        if broadcast.closed or broadcast.publishing:
            await pull.close()
            return
        self.pulls_started += 1
        broadcast.pull_from(pull)

    def _pull_closed(self, pull: OriginPull) -> None:
        broadcast = pull.broadcast
        broadcast.upstream_lost(pull)
        if broadcast.closed or broadcast.publishing or broadcast.upstream is not None:
            return
        if broadcast.viewers:
            self._spawn(self._repull(broadcast))
        elif self._registry.get(broadcast.show_id) is broadcast:
            # Nobody watches here any more: this node's copy of the show goes.
            self._spawn(self._registry.end(broadcast.show_id))

    async def _repull(self, broadcast: Broadcast) -> None:
        await asyncio.sleep(REPULL_DELAY_SECONDS)
        await self._repull_now(broadcast)

    async def check_origins(self) -> None:
        """Drop pulls whose origin is gone or moved; pull for viewers left waiting."""
        for broadcast in self._registry.all():
            if broadcast.closed or broadcast.publishing:
                continue
            upstream = broadcast.upstream
            if upstream is not None:
                await self._presence.viewers_here(broadcast.show_id, len(broadcast.viewers))
                origin = await self._presence.origin_of(broadcast.show_id)
                # Moved: the mark names another node. (A mark that is gone or cannot be
                # read is no reason: a dead origin's pull fails by itself, and a Redis
                # outage must not cut the viewers off.)
                if origin is not None and origin != upstream.origin:
                    await upstream.close()  # a viewer still here makes it pull again
            elif broadcast.viewers:
                await self._repull_now(broadcast)

    async def _repull_now(self, broadcast: Broadcast) -> None:
        async with self._locks.setdefault(broadcast.show_id, asyncio.Lock()):
            if broadcast.upstream is None and not broadcast.publishing and not broadcast.closed:
                await self._pull(broadcast)

    async def viewers_on_edges(self, show_id: int) -> int:
        """Viewers of a show published here who watch on the edges pulling it."""
        broadcast = self._registry.get(show_id)
        if broadcast is None or not broadcast.relays:
            self._edge_viewers.pop(show_id, None)
            return 0
        now = time.monotonic()
        cached = self._edge_viewers.get(show_id)
        if cached is not None and now - cached[0] < EDGE_VIEWERS_TTL_SECONDS:
            return cached[1]
        count = await self._presence.viewers_on_edges(show_id)
        self._edge_viewers[show_id] = (now, count)
        return count

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
