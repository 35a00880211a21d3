"""Payments behind one small protocol, with the Stripe implementation used everywhere.

In development and tests the same Stripe SDK talks to localstripe (a Stripe API
sandbox started beside the server). Two localstripe gaps are bridged here, in one
place: it cannot turn a card token into a PaymentMethod, so the token's card is used
as the payment method; and webhooks are registered through its `_config` endpoint.

A payment is made in two calls, `create` (unconfirmed) then `confirm`, so that the
caller can store the PaymentIntent's id between them: whatever happens to the process
after that, the charge can be found again from the order (docs/checkout.md).
"""

from __future__ import annotations

import enum
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import stripe

from checkout import stripe_hooks
from checkout.errors import (
    BadSignature,
    CardCvcWrong,
    CardDetailsUnreadable,
    CardExpired,
    CardFundsShort,
    CardNumberWrong,
    PaymentDeclined,
    PaymentUnavailable,
)
from server.settings import Settings

log = logging.getLogger("jangteo.payments")
WEBHOOK_PATH = "/api/checkout/stripe-webhook"


class PaymentStatus(enum.StrEnum):
    """Where a payment stands, as far as checkout needs to know."""

    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"  # 3-D Secure: the shopper must answer the bank
    REQUIRES_CONFIRMATION = "requires_confirmation"  # created, not confirmed: no money yet
    PROCESSING = "processing"  # the outcome comes later: ask again, never release
    FAILED = "failed"  # declined or failed authentication: no money taken
    CANCELED = "canceled"

    @classmethod
    def of_intent(cls, raw: str) -> PaymentStatus:
        """A PaymentIntent's status; anything unexpected is treated as still processing,
        so that nothing is released on a payment we do not understand."""
        if raw == "requires_payment_method":
            return cls.FAILED
        try:
            return cls(raw)
        except ValueError:
            return cls.PROCESSING

    @property
    def settled(self) -> bool:
        """Whether the payment has its final outcome."""
        return self in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELED)


@dataclass(frozen=True)
class PaymentResult:
    intent_id: str
    status: PaymentStatus
    client_secret: str = ""


class PaymentGateway(Protocol):
    async def create(
        self, *, order_id: int, amount: int, currency: str, card_token: str, idempotency_key: str
    ) -> PaymentResult:
        """Create an unconfirmed payment for an order (nothing is charged yet); raise
        PaymentDeclined when the card cannot be used."""

    async def confirm(self, intent_id: str) -> PaymentResult:
        """Charge a created payment; raise PaymentDeclined on a decline."""

    async def retrieve(self, intent_id: str) -> PaymentResult: ...

    async def cancel(self, intent_id: str) -> PaymentResult:
        """Stop a payment that has not succeeded; answers where it stands afterwards
        (succeeded when it went through before it could be stopped)."""

    async def refund(self, *, intent_id: str, amount: int, idempotency_key: str) -> str:
        """Refund `amount` of a payment; return the refund id."""

    def parse_event(self, payload: bytes, signature: str) -> dict[str, Any]:
        """The verified event, or BadSignature."""

    def is_ours(self, metadata: dict[str, Any]) -> bool:
        """Whether a payment's metadata names this installation."""

    async def close(self) -> None: ...


# Stripe's error codes (and decline codes) the shopper can act on, each with a sentence in
# their language that says what to do; any other refusal is a plain decline.
DECLINES: dict[str, type[PaymentDeclined]] = {
    "incorrect_number": CardNumberWrong,
    "invalid_number": CardNumberWrong,
    "expired_card": CardExpired,
    "invalid_expiry_month": CardExpired,
    "invalid_expiry_year": CardExpired,
    "incorrect_cvc": CardCvcWrong,
    "invalid_cvc": CardCvcWrong,
    "insufficient_funds": CardFundsShort,
    "card_velocity_exceeded": CardFundsShort,
}


def declined(exc: stripe.StripeError) -> PaymentDeclined:
    """The shopper's error for a card Stripe refused. A request Stripe could not read at
    all (localstripe's "Bad request" for a malformed card) asks to check the details."""
    for code in (getattr(exc, "code", None), getattr(exc.error, "decline_code", None)):
        if isinstance(code, str) and code in DECLINES:
            return DECLINES[code]()
    if isinstance(exc, stripe.InvalidRequestError):
        return CardDetailsUnreadable()
    return PaymentDeclined()


def _result(intent: Any) -> PaymentResult:
    return PaymentResult(
        str(intent.id),
        PaymentStatus.of_intent(str(intent.status)),
        str(intent.client_secret or ""),
    )


class StripeGateway:
    def __init__(self, settings: Settings, instance: str = "jangteo") -> None:
        # Written into each payment's metadata: several installations (or test apps)
        # sharing one Stripe account each act only on their own payments' events.
        self.instance = instance
        # Stripe itself needs no API base; one set means the localstripe sandbox.
        self._local = bool(settings.stripe_api_base)
        self._api_base = settings.stripe_api_base
        self._secret_key = settings.stripe_secret_key.reveal()
        # With localstripe we make up the webhook secret and register it ourselves.
        self.webhook_secret = (
            settings.stripe_webhook_secret.reveal()
            if settings.stripe_webhook_secret
            else f"whsec_{secrets.token_hex(16)}"
        )
        self._http = stripe.AIOHTTPClient()
        self._client = stripe.StripeClient(
            self._secret_key or "sk_test_missing",
            base_addresses=stripe_hooks.base_addresses(settings.stripe_api_base),
            http_client=self._http,
            max_network_retries=2,
        )

    @property
    def uses_localstripe(self) -> bool:
        return self._local

    async def register_webhook(self, public_url: str, name: str) -> None:
        """Tell localstripe where to send its signed events (Stripe is set up by hand)."""
        if not self._local:
            return
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{self._api_base}/_config/webhooks/{name}",
                data={"url": public_url + WEBHOOK_PATH, "secret": self.webhook_secret},
            ) as resp,
        ):
            resp.raise_for_status()

    async def _payment_method(self, card_token: str) -> str:
        if self._local:
            token = await self._client.v1.tokens.retrieve_async(card_token)
            return str(token.card.id) if token.card else ""
        method = await self._client.v1.payment_methods.create_async(
            {"type": "card", "card": {"token": card_token}}
        )
        return str(method.id)

    async def create(
        self, *, order_id: int, amount: int, currency: str, card_token: str, idempotency_key: str
    ) -> PaymentResult:
        try:
            method = await self._payment_method(card_token)
            # The payment method goes in here, not in `confirm`: localstripe refuses a
            # `payment_method` argument there.
            intent = await self._client.v1.payment_intents.create_async(
                {
                    "amount": amount,
                    "currency": currency,
                    "payment_method": method,
                    "metadata": {"order_id": str(order_id), "shop": self.instance},
                },
                {"idempotency_key": idempotency_key},
            )
        except (stripe.CardError, stripe.InvalidRequestError) as exc:
            log.warning("payment refused", extra={"order_id": order_id, "error": str(exc)})
            raise declined(exc) from exc
        except stripe.StripeError as exc:
            log.exception("payment service error", extra={"order_id": order_id})
            raise PaymentUnavailable() from exc
        return _result(intent)

    async def confirm(self, intent_id: str) -> PaymentResult:
        try:
            intent = await self._client.v1.payment_intents.confirm_async(intent_id)
        except stripe.CardError as exc:
            raise declined(exc) from exc
        except stripe.InvalidRequestError:
            # Confirmed (or cancelled) by another request already: say where it stands.
            return await self.retrieve(intent_id)
        except stripe.StripeError as exc:
            log.exception("payment service error", extra={"intent": intent_id})
            raise PaymentUnavailable() from exc
        return _result(intent)

    async def retrieve(self, intent_id: str) -> PaymentResult:
        try:
            intent = await self._client.v1.payment_intents.retrieve_async(intent_id)
        except stripe.StripeError as exc:
            raise PaymentUnavailable() from exc
        return _result(intent)

    async def cancel(self, intent_id: str) -> PaymentResult:
        try:
            intent = await self._client.v1.payment_intents.cancel_async(intent_id)
        except stripe.InvalidRequestError:
            # Succeeded, failed or cancelled already: nothing to stop; say which.
            return await self.retrieve(intent_id)
        except stripe.StripeError as exc:
            raise PaymentUnavailable() from exc
        return _result(intent)

    async def refund(self, *, intent_id: str, amount: int, idempotency_key: str) -> str:
        try:
            refund = await self._client.v1.refunds.create_async(
                {"payment_intent": intent_id, "amount": amount},
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            log.exception("refund failed", extra={"intent": intent_id})
            raise PaymentUnavailable() from exc
        return str(refund.id)

    def parse_event(self, payload: bytes, signature: str) -> dict[str, Any]:
        try:
            stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise BadSignature() from exc
        event: dict[str, Any] = json.loads(payload)
        return event

    def is_ours(self, metadata: dict[str, Any]) -> bool:
        shop: object = metadata.get("shop", self.instance)
        return shop == self.instance

    async def close(self) -> None:
        # stripe leaves close_async unannotated
        await self._http.close_async()  # type: ignore[no-untyped-call]
