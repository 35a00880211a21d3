"""Checkout's tunables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass
class CheckoutConfig:
    """Tunables, read once when the `Checkout` service is made at start-up; tests set
    their own on the app before it starts."""

    hold: dt.timedelta = dt.timedelta(minutes=10)
    sweep_every_seconds: float = 5.0
    # Registered with localstripe under this name; tests give each app its own.
    webhook_name: str = "jangteo"
    # A payment claim older than this belongs to a request that died before recording
    # its PaymentIntent (the gateway calls time out well before): it is cleared so that
    # the shopper can pay again.
    claim_timeout: dt.timedelta = dt.timedelta(minutes=3)
