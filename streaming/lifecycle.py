"""Streaming's part in a show's life: the broadcast registry, what happens when a
publisher does not come back, and what a show moved from a page means for its stream.

`ShowStreams` subscribes to the live-event bus: when a show is started or ended from
any page, the API or the studio, its broadcast follows.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.errors import DomainError
from server.events import EventPublisher, LiveEvent
from server.redis_link import UNREACHABLE
from server.shows import service as shows
from server.shows.models import ShowState
from streaming.broadcast import StreamConfig
from streaming.edge import EdgeNode
from streaming.node_tokens import NodeTokens
from streaming.origins import OneProcess, PublisherPresence
from streaming.registry import BroadcastRegistry

log = logging.getLogger("jangteo.streaming")


class ShowStreams:
    def __init__(
        self,
        config: StreamConfig,
        sessionmaker: async_sessionmaker[AsyncSession],
        publisher: EventPublisher,
        tokens: NodeTokens,
        presence: PublisherPresence | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._publisher = publisher
        self._presence = presence or OneProcess()
        self.registry = BroadcastRegistry(config, self._publisher_gone, publisher.publish)
        self.edge = EdgeNode(self.registry, self._presence, tokens, config)

    async def mark_publishing(self) -> None:
        """Tell the other processes which shows' publishers are here, and follow the
        origins of the shows pulled from elsewhere (a repeating job)."""
        await self._presence.publishing_here(self.registry.publishing())
        await self.edge.check_origins()

    async def _publisher_gone(self, show_id: int) -> None:
        """The grace period ran out with nobody publishing here: the show is over,
        unless its publisher is on another process (then only this copy goes)."""
        if await self._presence.publishing_elsewhere(show_id):
            await self.registry.end(show_id)
            return
        ended = None
        try:
            async with self._sessionmaker.begin() as session:
                show = await shows.get_show(session, show_id)
                if show.state is ShowState.LIVE:
                    ended = await shows.system_transition(session, show_id, "end")
        except DomainError as exc:
            log.warning("could not end show %s after its publisher left: %s", show_id, exc)
        if ended is not None:
            await shows.announce_state(self._publisher, ended)  # ends the stream below
        else:
            await self._ended(show_id)

    async def _ended(self, show_id: int) -> None:
        await self.registry.end(show_id)
        await self._publisher.publish(show_id, LiveEvent.STREAM_STATE, {"state": "ended"})

    async def publish(self, show_id: int, event: LiveEvent, payload: dict[str, Any]) -> None:
        """Hears every live event; the stream follows its show wherever it was moved."""
        if event is LiveEvent.STREAM_VIEWERS:
            broadcast = self.registry.get(show_id)
            if broadcast is not None and broadcast.upstream is not None:
                # The origin's figure (what the studio shows) includes this edge's viewers.
                with contextlib.suppress(*UNREACHABLE):
                    await self._presence.viewers_here(show_id, payload.get("count", 0))
            return
        if event is LiveEvent.STREAM_STATE and payload.get("state") == "live":
            broadcast = self.registry.get(show_id)
            if broadcast is not None and broadcast.publishing:
                # Other nodes can pull the show from here at once, not at the next
                # refresh (which tries again if Redis does not answer now).
                with contextlib.suppress(*UNREACHABLE):
                    await self._presence.publishing_here([show_id])
            return
        if event is not LiveEvent.SHOW_STATE:
            return
        state = payload.get("state")
        if state == ShowState.LIVE.value:
            broadcast = self.registry.get(show_id)
            if broadcast is not None:
                broadcast.live = True
        elif state in (ShowState.ENDED.value, ShowState.CANCELLED.value):
            await self._ended(show_id)

    async def resume_live_shows(self) -> None:
        """At start, shows left live by a previous run get the usual grace period for
        their publisher to come back."""
        async with self._sessionmaker() as session:
            live = await shows.shows_in_state(session, ShowState.LIVE, limit=10_000)
        for show in live:
            broadcast = self.registry.get_or_create(show.id, record=not show.is_demo)
            broadcast.live = True
            broadcast.start_grace()

    async def close(self) -> None:
        with contextlib.suppress(*UNREACHABLE):
            await self._presence.released(self.registry.publishing())
        await self.registry.close_all()
        await self.edge.close()
