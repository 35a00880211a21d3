"""Stripe's refusals become sentences the shopper can act on, in their language."""

from __future__ import annotations

import stripe

from checkout import errors
from checkout.payments import declined
from server.i18n import Catalogs


def _card_error(code: str, decline_code: str | None = None) -> stripe.CardError:
    body = {"error": {"code": code, "decline_code": decline_code, "type": "card_error"}}
    return stripe.CardError("Your card was declined.", None, code, json_body=body)  # type: ignore[no-untyped-call]


def test_each_refusal_says_what_to_do_in_korean() -> None:
    ko = Catalogs().get("ko").gettext
    expected = {
        "incorrect_number": ("card_number", "카드 번호"),
        "expired_card": ("card_expiry", "유효기간"),
        "incorrect_cvc": ("card_cvc", "보안코드"),
        "card_declined": ("card_declined", "거절"),
    }
    for code, (ours, words) in expected.items():
        error = declined(_card_error(code))
        assert isinstance(error, errors.PaymentDeclined) and error.code == ours
        assert words in error.translate(ko)
    funds = declined(_card_error("card_declined", decline_code="insufficient_funds"))
    assert funds.code == "insufficient_funds" and "잔액" in funds.translate(ko)
    # localstripe's "Bad request." for a malformed card: check the details, in Korean.
    unreadable = declined(stripe.InvalidRequestError("Bad request", None))  # type: ignore[no-untyped-call]
    assert unreadable.code == "card_invalid"
    assert "카드 번호, 유효기간, 보안코드를 확인" in unreadable.translate(ko)
    assert "Bad request" not in unreadable.translate(ko)
