"""What checkout relies on from the stripe library, checked at start-up, and how the
gateway's answers are read."""

from __future__ import annotations

import pytest
import stripe

from checkout import stripe_hooks
from checkout.payment_events import EventType
from checkout.payments import PaymentStatus


def test_the_installed_stripe_has_what_the_gateway_relies_on() -> None:
    stripe_hooks.self_test()


def test_an_upgrade_that_removed_something_fails_naming_library_and_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stripe, "AIOHTTPClient", object)  # no close_async any more
    with pytest.raises(stripe_hooks.StripeHooksBroken) as failed:
        stripe_hooks.self_test()
    assert f"stripe {stripe.VERSION}" in str(failed.value)
    assert "AIOHTTPClient" in str(failed.value)


def test_payment_statuses_are_read_conservatively() -> None:
    assert PaymentStatus.of_intent("succeeded") is PaymentStatus.SUCCEEDED
    assert PaymentStatus.of_intent("requires_payment_method") is PaymentStatus.FAILED
    assert PaymentStatus.of_intent("requires_action") is PaymentStatus.REQUIRES_ACTION
    # Anything unknown is treated as still running: nothing is released on it.
    assert PaymentStatus.of_intent("requires_capture") is PaymentStatus.PROCESSING
    assert not PaymentStatus.PROCESSING.settled and PaymentStatus.CANCELED.settled


def test_event_types_are_stripes_names() -> None:
    assert EventType("payment_intent.succeeded") is EventType.PAYMENT_SUCCEEDED
    assert {e.value for e in EventType} == {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "charge.refunded",
    }
