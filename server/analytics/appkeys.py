"""Application keys of the analytics: the domain sources the factory hands in."""

from __future__ import annotations

import asyncio

from aiohttp import web

from server.analytics.interfaces import (
    ChatFiguresSource,
    PresenceLog,
    SalesFiguresSource,
    ViewerCounter,
)

viewer_counter: web.AppKey[ViewerCounter] = web.AppKey("analytics_viewer_counter")
chat_figures: web.AppKey[ChatFiguresSource] = web.AppKey("analytics_chat_figures")
sales_figures: web.AppKey[SalesFiguresSource] = web.AppKey("analytics_sales_figures")
presence: web.AppKey[PresenceLog] = web.AppKey("analytics_presence")
sampler = web.AppKey("analytics_sampler", asyncio.Task)
