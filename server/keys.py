"""Every typed application key, in one place.

The factory (`server/app.py`) fills them: plain objects when the app is made, resources
in the cleanup context that creates them. Views read them from `request.app`; services
never do, they get what they need in their constructor. The domain types named here come
from web-free modules, which never import this one, so there is no import cycle.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from chat.hub import ChatHub
from chat.posting import ChatPosting
from chat.socketio_hooks import ChatServer
from checkout.config import CheckoutConfig
from checkout.payments import PaymentGateway
from checkout.service import Checkout
from server.accounts.models import User
from server.accounts.ratelimit import LoginThrottle
from server.analytics.insights.forecast.trainer import ForecastTrainer
from server.analytics.insights.sources import SalesHistory
from server.analytics.interfaces import FigureSources, PresenceLog
from server.analytics.presence import ViewerSampler
from server.events import LiveEventBus
from server.i18n import Catalogs
from server.jobs.notices import JobNotifier
from server.leader import Leadership
from server.markets.interfaces import StoreProductsSource
from server.notifications.reminders import ReminderSweeper
from server.onboarding.interfaces import QuickProductMaker
from server.redis_link import RedisLink
from server.settings import Settings
from server.shows.replay import ReplayChatSource
from server.trust.evidence import Evidence
from server.trust.retention import Retention
from server.trust.withdrawals import Withdrawals
from streaming.edge import EdgeNode
from streaming.registry import BroadcastRegistry
from streaming.turn import IceServers

# --- made with the app ----------------------------------------------------------------------
settings = web.AppKey("settings", Settings)
catalogs = web.AppKey("catalogs", Catalogs)
login_throttle = web.AppKey("login_throttle", LoginThrottle)
# The one live-event publisher every domain is handed (chat, journal and streaming
# subscribe to it at start-up).
live_events = web.AppKey("live_events", LiveEventBus)
# The process's one Redis client and pool (None without REDIS_URL), closed at shutdown.
redis: web.AppKey[RedisLink | None] = web.AppKey("redis")
chat_server = web.AppKey("chat_server", ChatServer)
# What other domains hand the analytics and the replay page (functions, no state).
figure_sources = web.AppKey("figure_sources", FigureSources)
replay_chat: web.AppKey[ReplayChatSource] = web.AppKey("replay_chat")
# What checkout hands the merchant insights: sales, line-ups and flash sales of past shows.
sales_history: web.AppKey[SalesHistory] = web.AppKey("sales_history")
checkout_config = web.AppKey("checkout_config", CheckoutConfig)
# Checkout's products for a market's page and the first-show guide.
store_products: web.AppKey[StoreProductsSource] = web.AppKey("store_products")
quick_product: web.AppKey[QuickProductMaker] = web.AppKey("quick_product")

# --- resources, made in their cleanup context ----------------------------------------------
# Whether this process runs the site-wide background jobs (a Redis lease; always with one).
leadership: web.AppKey[Leadership] = web.AppKey("leadership")
engine = web.AppKey("engine", AsyncEngine)
sessionmaker: web.AppKey[async_sessionmaker[AsyncSession]] = web.AppKey("sessionmaker")
chat_hub = web.AppKey("chat_hub", ChatHub)
chat_posting = web.AppKey("chat_posting", ChatPosting)
presence: web.AppKey[PresenceLog] = web.AppKey("presence")
payment_gateway: web.AppKey[PaymentGateway] = web.AppKey("payment_gateway")
# Checkout's one service (web-free): views call it; the crew's cue sheet will too.
checkout = web.AppKey("checkout", Checkout)
broadcasts = web.AppKey("broadcasts", BroadcastRegistry)
edge = web.AppKey("edge", EdgeNode)
ice_servers = web.AppKey("ice_servers", IceServers)
viewer_sampler = web.AppKey("viewer_sampler", ViewerSampler)
forecaster = web.AppKey("forecaster", ForecastTrainer)
reminders = web.AppKey("reminders", ReminderSweeper)
job_notifier = web.AppKey("job_notifier", JobNotifier)
# Withdrawals (청약철회): refunds through the Checkout service; its escalation round.
withdrawals = web.AppKey("withdrawals", Withdrawals)
# The evidence bundle of an order (reads chat through the function chat hands over).
evidence = web.AppKey("evidence", Evidence)
# Deletes what is past its keeping time (and nothing an open dispute needs).
retention = web.AppKey("retention", Retention)

# --- per request, set by the session middleware ----------------------------------------------
request_user: web.RequestKey[User | None] = web.RequestKey("user")
request_csrf_seed = web.RequestKey("csrf_seed", str)
request_unread = web.RequestKey("unread_notifications", int)
