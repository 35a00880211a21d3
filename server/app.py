"""The one factory: wires settings, database, translations, pages, the API and every
domain package into one aiohttp application. The CLI and the tests both call it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import jinja2
from aiohttp import web

import chat
import checkout
from chat.replay import replay_messages
from chat.stats import HubViewerCounter, chat_figures
from checkout.stats import sales_figures
from server import analytics, keys
from server.accounts import views as account_views
from server.accounts.ratelimit import LoginRateLimiter
from server.api import routes as api_routes
from server.db import make_engine, make_sessionmaker
from server.events import RecordingPublisher
from server.http import error_middleware
from server.i18n import Catalogs
from server.media import media_root
from server.migrate import upgrade
from server.notifications import views as notification_views
from server.notifications.reminders import reminder_context
from server.security import session_middleware
from server.settings import Settings
from server.shows import calendar_views
from server.shows import views as show_views
from server.shows.replay import replay_chat
from server.templating import setup_templates
from streaming import replay as streaming_replay
from streaming import setup as setup_streaming

ROOT = Path(__file__).resolve().parent.parent
MAX_REQUEST_BYTES = 10 * 1024 * 1024


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.settings]
    engine = make_engine(settings.database_url)
    reader = (
        make_engine(settings.database_url, for_writing=False)
        if settings.database_url.startswith("sqlite")
        else None
    )
    if settings.run_migrations:
        await upgrade(engine)
    app[keys.engine] = engine
    app[keys.sessionmaker] = make_sessionmaker(engine, reader)
    yield
    await engine.dispose()
    if reader is not None:
        await reader.dispose()


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        middlewares=[error_middleware, session_middleware], client_max_size=MAX_REQUEST_BYTES
    )
    app[keys.settings] = settings
    app[keys.catalogs] = Catalogs(default=settings.default_locale)
    app[keys.login_limiter] = LoginRateLimiter(
        settings.login_attempts, settings.login_window_seconds
    )
    app[keys.events] = RecordingPublisher()
    app[keys.show_listeners] = []
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(reminder_context)

    setup_templates(app, jinja2.FileSystemLoader(str(ROOT / "templates")))
    app.router.add_static("/static/", ROOT / "static", name="static")
    app.router.add_static("/media/", media_root(settings.data_dir), name="media")
    app.router.add_routes(account_views.routes)
    app.router.add_routes(show_views.routes)
    app.router.add_routes(calendar_views.routes)
    app.router.add_routes(notification_views.routes)
    app.router.add_routes(api_routes)
    chat.setup(app)
    checkout.setup(app)
    setup_streaming(app)
    app.router.add_routes(streaming_replay.routes)
    app[replay_chat] = replay_messages
    analytics.setup(
        app,
        viewer_counter=HubViewerCounter(app),
        chat_figures=chat_figures,
        sales_figures=sales_figures,
    )
    return app
