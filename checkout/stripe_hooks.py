"""The only place that touches the stripe library's private names, with a self-test.

What we rely on beyond stripe's documented API:

* `stripe._base_address.BaseAddresses`, the type of `StripeClient(base_addresses=...)`:
  the one way to point the SDK at localstripe (its `api` entry). The type lives in a
  private module; the parameter is public.

`self_test()` runs at start-up (the app factory's `_payments` context) and also checks
the public names the gateway calls, so that an upgrade that moved any of them fails at
once, naming the library and its version, instead of at a shopper's first payment.
"""

from __future__ import annotations

import inspect

import stripe
from stripe._base_address import BaseAddresses

# What the gateway calls on `StripeClient(...).v1.<service>`.
_SERVICES: dict[str, tuple[str, ...]] = {
    "payment_intents": ("create_async", "confirm_async", "retrieve_async", "cancel_async"),
    "refunds": ("create_async",),
    "tokens": ("retrieve_async",),
    "payment_methods": ("create_async",),
}
_ERRORS = ("StripeError", "CardError", "InvalidRequestError", "SignatureVerificationError")


class StripeHooksBroken(RuntimeError):
    """The installed stripe library lacks something the payment gateway relies on."""


def base_addresses(api_base: str) -> BaseAddresses | None:
    """`StripeClient`'s `base_addresses` for an API base (localstripe), or None for Stripe."""
    return {"api": api_base} if api_base else None


def self_test() -> None:
    """Raise StripeHooksBroken, naming stripe's version, if anything we use is gone."""
    missing: list[str] = []
    if "api" not in getattr(BaseAddresses, "__annotations__", {}):
        missing.append("stripe._base_address.BaseAddresses['api']")
    if "base_addresses" not in inspect.signature(stripe.StripeClient).parameters:
        missing.append("StripeClient(base_addresses=...)")
    if not hasattr(getattr(stripe, "AIOHTTPClient", None), "close_async"):
        missing.append("stripe.AIOHTTPClient.close_async")
    if not callable(getattr(getattr(stripe, "Webhook", None), "construct_event", None)):
        missing.append("stripe.Webhook.construct_event")
    missing += [f"stripe.{name}" for name in _ERRORS if not hasattr(stripe, name)]
    v1 = getattr(stripe.StripeClient("sk_test_self_test"), "v1", None)
    for service, methods in _SERVICES.items():
        found = getattr(v1, service, None)
        missing += [f"StripeClient.v1.{service}.{m}" for m in methods if not hasattr(found, m)]
    if missing:
        raise StripeHooksBroken(
            f"stripe {stripe.VERSION} lacks what checkout's payment gateway relies on: "
            + ", ".join(missing)
        )
