"""Checkout: catalog, show line-up, pinning and flash sales, stock reservations, orders,
Stripe payments, webhooks and refunds."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from checkout import flows, pages, views
from checkout.keys import CheckoutConfig, config, gateway, sold_out
from checkout.payments import StripeGateway
from checkout.soldout import SoldOutMemo
from server import keys

log = logging.getLogger("jangteo.checkout")


async def _payments(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.settings]
    stripe_gateway = StripeGateway(settings, instance=app[config].webhook_name)
    app[gateway] = stripe_gateway
    try:
        await stripe_gateway.register_webhook(settings.public_url, app[config].webhook_name)
    except Exception:
        # The shop still opens; payments then settle through the answers to `pay`.
        log.exception("could not register the webhook with localstripe")
    yield
    await stripe_gateway.close()


def setup(app: web.Application) -> None:
    if config not in app:
        app[config] = CheckoutConfig()
    app[sold_out] = SoldOutMemo()
    app.cleanup_ctx.append(_payments)
    app.cleanup_ctx.append(flows.sweeper)
    app.router.add_routes(views.routes)
    app.router.add_routes(pages.routes)
