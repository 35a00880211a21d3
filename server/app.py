"""The one factory: the whole composition of the application, in one place.

`create_app(settings)` makes what needs no I/O at once (settings, translations, the
live-event bus, the Socket.IO server, routes and templates). Every resource is then made
at start-up inside its own cleanup context, in the order below, which is the order of
dependence: each context reads only what an earlier one stored, hands it to the objects
it builds through their constructors, and disposes of what it made when the app stops
(in reverse order). The CLI and the tests both call this factory.

    redis      → the leader lease (the shared Redis link itself is made with the app:
                 the Socket.IO server needs it before start-up)
    database   → engine, sessionmaker (migrations run here)
    chat       → hub (room fan-out, storage), namespace; subscribes to the bus first
    analytics  → journal (subscribes second), presence log, viewer sampler
    insights   → the forecast's trainer, its worker thread and retraining job
    payments   → payment gateway (Stripe or localstripe), webhook registration
    checkout   → the Checkout service (reconciles payments a crash left), its sweeper
    streaming  → broadcast registry (ShowStreams, subscribes third)
    reminders  → reminder sweeper, mailer
    jobs       → job notifier (in-app and e-mail), review prompter (subscribes to the bus)
    demo       → the demo publisher (with DEMO_PUBLISHER: the live demo show's clip over
                 this server's own WHIP endpoint, once the server listens)
    trust      → withdrawals (refunds through checkout), their escalation round, evidence,
                 the retention purge (recordings, 5-year records)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import jinja2
from aiohttp import web

from chat import dashboard as chat_dashboard
from chat import socketio_hooks
from chat import views as chat_views
from chat.cache import PostingCache
from chat.hub import ChatHub, ChatOptions
from chat.joining import RoomEntry
from chat.moderation import ChatModeration
from chat.namespace import ChatNamespace
from chat.posting import ChatPosting
from chat.replay import messages_around, replay_messages
from chat.socket_server import make_chat_server, make_chat_state
from chat.stats import HubViewerCounter, chat_figures
from checkout import pages as checkout_pages
from checkout import stripe_hooks
from checkout import views as checkout_views
from checkout.config import CheckoutConfig
from checkout.insights import CheckoutSalesHistory
from checkout.payments import StripeGateway
from checkout.service import Checkout
from checkout.showcase import add_quick_product, products_of_stores
from checkout.stats import sales_figures
from server import keys
from server.accounts import views as account_views
from server.accounts.ratelimit import LoginThrottle
from server.analytics import views as analytics_views
from server.analytics.insights import exports as insight_exports
from server.analytics.insights import views as insight_views
from server.analytics.insights.forecast.trainer import RETRAIN_CHECK_SECONDS, ForecastTrainer
from server.analytics.interfaces import FigureSources
from server.analytics.journal import ShowJournal
from server.analytics.presence import SAMPLE_SECONDS, DatabasePresenceLog, ViewerSampler
from server.api import routes as api_routes
from server.background import running
from server.collector import SurvivorFreezer
from server.db import make_engine, make_sessionmaker
from server.events import LiveEventBus
from server.http import error_middleware
from server.i18n import Catalogs
from server.inputs import input_middleware
from server.jobs import profile_views as job_profile_views
from server.jobs import review_views as job_review_views
from server.jobs import views as job_views
from server.jobs.notices import JobNotifier
from server.jobs.reviews import ReviewPrompter
from server.leader import RedisLease, SoleProcess
from server.markets import ops_views as market_ops_views
from server.markets import views as market_views
from server.media import media_root
from server.migrate import upgrade
from server.notifications import views as notification_views
from server.notifications.mail import Mailer, SmtpConfig
from server.notifications.reminders import SWEEP_SECONDS, ReminderSweeper
from server.onboarding import day_views as onboarding_day_views
from server.onboarding import views as onboarding_views
from server.redis_link import RedisLink
from server.security import session_middleware
from server.settings import Settings
from server.shows import calendar_views
from server.shows import views as show_views
from server.shows.visibility import show_visibility_middleware
from server.templating import setup_templates
from server.trust import evidence_views as trust_evidence_views
from server.trust import identity_views as trust_identity_views
from server.trust import report_views as trust_report_views
from server.trust import withdrawal_views as trust_withdrawal_views
from server.trust.evidence import Evidence
from server.trust.retention import EVERY_SECONDS as PURGE_EVERY_SECONDS
from server.trust.retention import Retention
from server.trust.withdrawal_views import withdrawal_photo_path
from server.trust.withdrawals import Withdrawals
from streaming import aiortc_hooks
from streaming import hls_views as streaming_hls_views
from streaming import replay as streaming_replay
from streaming import views as streaming_views
from streaming.broadcast import StreamConfig
from streaming.demo_clip import loop_clip_path
from streaming.demo_publisher import DemoPublisher, local_url
from streaming.lifecycle import ShowStreams
from streaming.node_tokens import NodeTokens
from streaming.origins import REFRESH_SECONDS, OneProcess, RedisPublisherPresence
from streaming.recording import recording_path
from streaming.turn import IceServers

ROOT = Path(__file__).resolve().parent.parent
MAX_REQUEST_BYTES = 10 * 1024 * 1024
FAVICON = ROOT / "static" / "favicon.svg"
# Unanswered withdrawals pass to the operators after 3 business days; a round every few
# minutes is close enough.
ESCALATE_EVERY_SECONDS = 300.0
log = logging.getLogger("jangteo.app")


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        # Input is checked (ids, text, form bodies) before the session is looked up.
        middlewares=[
            error_middleware,
            input_middleware,
            session_middleware,
            show_visibility_middleware,
        ],
        client_max_size=MAX_REQUEST_BYTES,
    )
    app[keys.settings] = settings
    app[keys.catalogs] = Catalogs(default=settings.default_locale)
    app[keys.live_events] = LiveEventBus()
    app[keys.ice_servers] = IceServers(
        fixed=settings.ice_servers,
        turn_urls=settings.turn_urls,
        turn_secret=settings.turn_secret.reveal(),
        credential_seconds=settings.turn_credential_seconds,
    )
    app[keys.figure_sources] = FigureSources(chat=chat_figures, sales=sales_figures)
    app[keys.sales_history] = CheckoutSalesHistory()
    app[keys.replay_chat] = replay_messages
    app[keys.checkout_config] = CheckoutConfig()
    app[keys.store_products] = products_of_stores
    app[keys.quick_product] = add_quick_product
    # One bounded pool per process; connecting happens at first use, not here.
    app[keys.redis] = (
        RedisLink(
            settings.redis_url, settings.redis_max_connections, settings.redis_pool_timeout_seconds
        )
        if settings.redis_url
        else None
    )
    # The Socket.IO server must exist before start-up: attaching it adds its routes.
    app[keys.chat_server] = make_chat_server(settings, app[keys.redis])
    app[keys.chat_server].attach(app)

    _add_routes(app)
    app.cleanup_ctx.extend(
        [
            _redis,
            _database,
            _chat,
            _analytics,
            _insights,
            _payments,
            _checkout,
            _streaming,
            _reminders,
            _jobs,
            _demo,
            _trust,
            _settle,
        ]
    )
    return app


def _add_routes(app: web.Application) -> None:
    env = setup_templates(app, jinja2.FileSystemLoader(str(ROOT / "templates")))
    env.filters.update(market_views.TEMPLATE_FILTERS)
    env.globals.update(market_views.TEMPLATE_GLOBALS)
    env.globals.update(trust_report_views.TEMPLATE_GLOBALS)
    app.router.add_static("/static/", ROOT / "static", name="static")
    # Browsers ask for /favicon.ico whatever the page links: answer it rather than 404.
    app.router.add_get("/favicon.ico", _favicon, name="favicon")
    app.router.add_static("/media/", media_root(app[keys.settings].data_dir), name="media")
    for table in (
        account_views.routes,
        show_views.routes,
        calendar_views.routes,
        notification_views.routes,
        api_routes,
        chat_views.routes,
        chat_dashboard.routes,
        checkout_views.routes,
        checkout_pages.routes,
        streaming_views.routes,
        streaming_replay.routes,
        streaming_hls_views.routes,
        analytics_views.routes,
        market_views.routes,
        market_ops_views.routes,
        job_views.routes,
        job_profile_views.routes,
        job_review_views.routes,
        onboarding_views.routes,
        onboarding_day_views.routes,
        insight_views.routes,
        insight_exports.routes,
        trust_identity_views.routes,
        trust_withdrawal_views.routes,
        trust_evidence_views.routes,
        trust_report_views.routes,
    ):
        app.router.add_routes(table)


async def _favicon(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(
        FAVICON,
        headers={"Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400"},
    )


# --- resources, in order of dependence ------------------------------------------------------


async def _redis(app: web.Application) -> AsyncIterator[None]:
    link = app[keys.redis]
    if link is None:
        app[keys.leadership] = SoleProcess()
        yield
        return
    lease = RedisLease(link.client, f"{app[keys.settings].chat_redis_prefix}leader", link.health)
    app[keys.leadership] = lease
    await lease.start()
    yield
    await lease.stop()
    await link.close()


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
    app[keys.login_throttle] = LoginThrottle(
        app[keys.sessionmaker], settings.login_attempts, settings.login_window_seconds
    )
    yield
    await engine.dispose()
    if reader is not None:
        await reader.dispose()


async def _chat(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.settings]
    sessionmaker = app[keys.sessionmaker]
    options = ChatOptions(
        redis_prefix=settings.chat_redis_prefix, batch_seconds=settings.chat_batch_ms / 1000
    )
    # Fails the start, naming the versions, if an upgrade removed what fan-out relies on.
    socketio_hooks.self_test()
    sio = app[keys.chat_server]
    state = make_chat_state(settings, app[keys.redis])
    hub = ChatHub(sio, state, options, sessionmaker)
    posting = ChatPosting(hub, PostingCache(sessionmaker), state)
    presence = DatabasePresenceLog(sessionmaker)
    sio.register_namespace(
        ChatNamespace(
            hub,
            RoomEntry(sessionmaker, hub, posting),
            posting,
            ChatModeration(sessionmaker, hub, posting),
            sessionmaker,
            app[keys.catalogs],
            settings,
            presence=presence,
        )
    )
    app[keys.chat_hub] = hub
    app[keys.chat_posting] = posting
    app[keys.presence] = presence
    app[keys.live_events].subscribe(hub)  # first: viewers hear an event before anything else
    app[keys.live_events].subscribe(posting)  # a show that ends closes its room at once
    hub.start()
    yield
    app[keys.live_events].unsubscribe(posting)
    app[keys.live_events].unsubscribe(hub)
    await hub.stop()
    posting.close()


async def _analytics(app: web.Application) -> AsyncIterator[None]:
    sessionmaker = app[keys.sessionmaker]
    journal = ShowJournal(sessionmaker)
    app[keys.live_events].subscribe(journal)
    sampler = ViewerSampler(sessionmaker, HubViewerCounter(app[keys.chat_hub]))
    app[keys.viewer_sampler] = sampler
    leader = app[keys.leadership]
    async with running("viewer sampler", SAMPLE_SECONDS, sampler.take_samples, leader):
        yield
    app[keys.live_events].unsubscribe(journal)


async def _insights(app: web.Application) -> AsyncIterator[None]:
    # One worker thread: the model is fitted there, never on the event loop, and two
    # trainings never run at once.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forecast")
    trainer = ForecastTrainer(app[keys.sessionmaker], app[keys.sales_history], executor)
    app[keys.forecaster] = trainer
    # The first training starts at once (the job's rounds come every few minutes after).
    # Every process trains its own: the model lives in memory, not in the database.
    first = asyncio.create_task(_first_training(trainer), name="forecast first training")
    async with running("forecast retraining", RETRAIN_CHECK_SECONDS, trainer.retrain_if_due):
        yield
    first.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first
    executor.shutdown(wait=False, cancel_futures=True)


async def _first_training(trainer: ForecastTrainer) -> None:
    try:
        await trainer.retrain_if_due()
    except Exception:  # the repeating job tries again; the pages say none is ready yet
        log.exception("first forecast training failed")


async def _payments(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.settings]
    # Fails the start, naming stripe's version, if an upgrade removed what we rely on.
    stripe_hooks.self_test()
    webhook_name = app[keys.checkout_config].webhook_name
    gateway = StripeGateway(settings, instance=webhook_name)
    app[keys.payment_gateway] = gateway
    try:
        await gateway.register_webhook(settings.public_url, webhook_name)
    except Exception:
        # The shop still opens; payments then settle through the answers to `pay`.
        log.exception("could not register the webhook with localstripe")
    yield
    await gateway.close()


async def _checkout(app: web.Application) -> AsyncIterator[None]:
    checkout = Checkout(
        app[keys.sessionmaker],
        app[keys.payment_gateway],
        app[keys.live_events],
        app[keys.checkout_config],
        store_publisher=app[keys.chat_hub],
    )
    app[keys.checkout] = checkout
    leader = app[keys.leadership]
    try:
        # Payments a crash left between the charge and its outcome, before any request
        # (by one process: the others' shoppers retry, and the sweeper asks again).
        if leader.leads():
            await checkout.reconcile()
    except Exception:
        # The shop still opens: the sweeper and the shoppers' retries ask again.
        log.exception("payment reconciliation failed at start-up")
    async with running("reservation sweeper", checkout.sweep_every_seconds, checkout.sweep, leader):
        yield


async def _streaming(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.settings]
    # Fails the start, naming aiortc's version, if an upgrade removed what we rely on.
    aiortc_hooks.self_test()
    config = StreamConfig(
        ice_servers=settings.ice_servers,
        max_viewers=settings.max_viewers_per_show,
        grace_seconds=settings.publisher_grace_seconds,
        data_dir=settings.data_dir,
        hls=settings.hls,
    )
    link = app[keys.redis]
    presence = (
        RedisPublisherPresence(
            link.client, settings.chat_redis_prefix, secrets.token_hex(8), settings.internal_url
        )
        if link is not None
        else OneProcess()
    )
    tokens = NodeTokens(settings.secret_key.reveal())
    streams = ShowStreams(config, app[keys.sessionmaker], app[keys.live_events], tokens, presence)
    app[keys.broadcasts] = streams.registry
    app[keys.edge] = streams.edge
    app[keys.live_events].subscribe(streams)
    await streams.resume_live_shows()
    # Every process marks its own publishers (not only the leader).
    async with running("publisher marks", REFRESH_SECONDS, streams.mark_publishing):
        yield
    app[keys.live_events].unsubscribe(streams)
    await streams.close()


def _mailer(settings: Settings) -> Mailer | None:
    """E-mail goes out only when SMTP_URL is set (smtplib per message, nothing held open)."""
    return Mailer(SmtpConfig.from_url(settings.smtp_url.reveal())) if settings.smtp_url else None


async def _reminders(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.settings]
    mailer = _mailer(settings)
    sweeper = ReminderSweeper(
        app[keys.sessionmaker], app[keys.catalogs], settings.public_url, mailer
    )
    app[keys.reminders] = sweeper
    leader = app[keys.leadership]
    async with running("reminder sweeper", SWEEP_SECONDS, sweeper.send_due_reminders, leader):
        yield


async def _jobs(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.settings]
    mailer = _mailer(settings)
    notifier = JobNotifier(app[keys.sessionmaker], app[keys.catalogs], settings.public_url, mailer)
    app[keys.job_notifier] = notifier
    prompter = ReviewPrompter(notifier)
    app[keys.live_events].subscribe(prompter)  # after streaming: asks for reviews at the end
    yield
    app[keys.live_events].unsubscribe(prompter)


async def _demo(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.settings]
    if not settings.demo_publisher:
        yield
        return
    publisher = DemoPublisher(
        app[keys.sessionmaker], loop_clip_path(settings.data_dir), local_url(settings)
    )
    # It connects as any encoder would, so it keeps trying until the server listens.
    task = asyncio.create_task(publisher.run(), name="demo publisher")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _trust(app: web.Application) -> AsyncIterator[None]:
    withdrawals = Withdrawals(app[keys.sessionmaker], app[keys.checkout])
    app[keys.withdrawals] = withdrawals
    app[keys.evidence] = Evidence(app[keys.sessionmaker], messages_around, app[keys.settings])
    data_dir = app[keys.settings].data_dir
    retention = Retention(
        app[keys.sessionmaker],
        recording_path=partial(recording_path, data_dir),
        withdrawal_photo=partial(withdrawal_photo_path, data_dir),
        recording_days=app[keys.settings].recording_retention_days,
    )
    app[keys.retention] = retention
    # Both run on the leading process only; even without a leader they stay safe (each
    # escalation is a conditional UPDATE, a purge round takes a database lock).
    leader = app[keys.leadership]
    async with (
        running("withdrawal escalation", ESCALATE_EVERY_SECONDS, withdrawals.escalate_due, leader),
        running("retention purge", PURGE_EVERY_SECONDS, retention.purge, leader),
    ):
        yield


async def _settle(app: web.Application) -> AsyncIterator[None]:
    # Everything made while starting (modules, mappers, templates, the engine) lives as
    # long as the process, and so do most survivors of a full collection: freezing them
    # keeps the collector from rescanning them in every full collection, pauses that
    # otherwise stall chat delivery (server/collector.py, docs/chat.md).
    freezer = SurvivorFreezer(asyncio.get_running_loop())
    freezer.start()
    yield
    freezer.stop()
