"""WebRTC live video: WHIP ingest, WHEP playback, a forwarding unit, recording."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from server import keys as server_keys
from server.errors import DomainError
from server.shows import service as shows
from server.shows.models import ShowState
from streaming import keys
from streaming.broadcast import StreamConfig
from streaming.registry import BroadcastRegistry

log = logging.getLogger("jangteo.streaming")


def setup(app: web.Application) -> None:
    """Add the streaming routes and the broadcast registry to `app`."""
    from streaming import views

    settings = app[server_keys.settings]
    config = StreamConfig(
        ice_servers=settings.ice_servers,
        max_viewers=settings.max_viewers_per_show,
        grace_seconds=settings.publisher_grace_seconds,
        data_dir=settings.data_dir,
    )

    async def on_change(show_id: int, event: str, payload: dict[str, Any]) -> None:
        # Looked up at call time: another package may install the live publisher later.
        await app[server_keys.events].publish(show_id, event, payload)

    async def on_publisher_gone(show_id: int) -> None:
        """The grace period ran out with nobody publishing: the show is over."""
        try:
            async with app[server_keys.sessionmaker].begin() as session:
                show = await shows.get_show(session, show_id)
                if show.state is ShowState.LIVE:
                    await shows.system_transition(session, show_id, "end")
        except DomainError as exc:
            log.warning("could not end show %s after its publisher left: %s", show_id, exc)
        await app[keys.registry].end(show_id)
        await on_change(show_id, "stream.state", {"state": "ended"})

    async def on_show_moved(show_id: int, action: str) -> None:
        """A show was started or ended from a page or the API, not from the studio."""
        broadcast = app[keys.registry].get(show_id)
        if broadcast is None:
            return
        if action == "start":
            broadcast.live = True
        elif action == "end":
            await app[keys.registry].end(show_id)
            await on_change(show_id, "stream.state", {"state": "ended"})

    app[keys.registry] = BroadcastRegistry(config, on_publisher_gone, on_change)
    app[server_keys.show_listeners].append(on_show_moved)
    app.cleanup_ctx.append(_broadcasts)
    app.router.add_routes(views.routes)


async def _broadcasts(app: web.Application) -> AsyncIterator[None]:
    """At start, shows left live by a previous run get the usual grace period for their
    publisher to come back; at shutdown every peer connection is closed."""
    registry = app[keys.registry]
    async with app[server_keys.sessionmaker]() as session:
        live = await shows.shows_in_state(session, ShowState.LIVE, limit=10_000)
    for show in live:
        broadcast = registry.get_or_create(show.id)
        broadcast.live = True
        broadcast.start_grace()
    yield
    await registry.close_all()
