"""Checkout's tunables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass
class CheckoutConfig:
    """Tunables; tests shorten them before the app starts."""

    hold: dt.timedelta = dt.timedelta(minutes=10)
    sweep_every_seconds: float = 5.0
    # Registered with localstripe under this name; tests give each app its own.
    webhook_name: str = "jangteo"
