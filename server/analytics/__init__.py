"""Show and store numbers: the live-event journal, viewer presence and samples, the
figures per show, store and platform, charts and CSV.

`setup(app, ...)` is called by the factory with what the domains provide.
"""

from __future__ import annotations

from aiohttp import web

from server import keys
from server.analytics import appkeys as analytics_keys
from server.analytics.interfaces import ChatFiguresSource, SalesFiguresSource, ViewerCounter
from server.analytics.journal import JournalingPublisher
from server.analytics.presence import DatabasePresenceLog, sampler_context
from server.analytics.views import routes


def setup(
    app: web.Application,
    *,
    viewer_counter: ViewerCounter | None = None,
    chat_figures: ChatFiguresSource | None = None,
    sales_figures: SalesFiguresSource | None = None,
) -> None:
    # Wrap whichever publisher the domains installed, so every journaled live event is
    # kept with its offset for replays and charts.
    app[keys.events] = JournalingPublisher(app[keys.events], app)
    app[analytics_keys.presence] = DatabasePresenceLog(app)
    if viewer_counter is not None:
        app[analytics_keys.viewer_counter] = viewer_counter
    if chat_figures is not None:
        app[analytics_keys.chat_figures] = chat_figures
    if sales_figures is not None:
        app[analytics_keys.sales_figures] = sales_figures
    app.cleanup_ctx.append(sampler_context)
    app.router.add_routes(routes)
