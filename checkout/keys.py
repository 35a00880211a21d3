"""The checkout package's own application keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aiohttp import web

from checkout.payments import PaymentGateway
from checkout.soldout import SoldOutMemo


@dataclass
class CheckoutConfig:
    """Tunables; tests shorten them before the app starts."""

    hold: dt.timedelta = dt.timedelta(minutes=10)
    sweep_every_seconds: float = 5.0
    # Registered with localstripe under this name; tests give each app its own.
    webhook_name: str = "jangteo"


gateway: web.AppKey[PaymentGateway] = web.AppKey("checkout_gateway")
config = web.AppKey("checkout_config", CheckoutConfig)
sold_out = web.AppKey("checkout_sold_out", SoldOutMemo)
