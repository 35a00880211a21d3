"""Checkout errors: each says the state in a sentence the shopper or merchant can act on."""

from __future__ import annotations

from server.errors import N_, Conflict, DomainError, Forbidden, Invalid, NotFound


class ProductNotFound(NotFound):
    template = N_("Product %(product_id)s does not exist.")
    code = "product_not_found"


class OrderNotFound(NotFound):
    # Also the answer for another shopper's order: its existence is not theirs to know.
    template = N_("Order %(order_id)s does not exist.")
    code = "order_not_found"


class BadCheckoutInput(Invalid):
    pass


class SoldOut(Conflict):
    template = N_("Sorry, %(name)s is sold out.")
    code = "sold_out"


class NotOnSale(Conflict):
    template = N_("%(name)s is not on sale in this show right now.")
    code = "not_on_sale"


class SaleLimitReached(Conflict):
    template = N_("The flash sale allows %(limit)d per shopper; you already hold %(held)d.")
    code = "sale_limit"


class SaleEnded(Conflict):
    template = N_("The flash sale has ended.")
    code = "sale_ended"


class OrderNotPayable(Conflict):
    template = N_("Order %(order_id)s cannot be paid (its status: %(status)s).")
    code = "order_not_payable"
    translated_params = ("status",)


class PaymentInProgress(Conflict):
    template = N_("Order %(order_id)s is being paid already; wait for the answer.")
    code = "payment_in_progress"


class PaymentDeclined(DomainError):
    template = N_("Your card was declined. No money was taken; please try another card.")
    status = 402
    code = "card_declined"


class CardNumberWrong(PaymentDeclined):
    template = N_("The card number is not right. Check the 16 digits and try again.")
    code = "card_number"


class CardExpired(PaymentDeclined):
    template = N_(
        "This card has expired or its expiry date is wrong. Check it or use another card."
    )
    code = "card_expiry"


class CardCvcWrong(PaymentDeclined):
    template = N_(
        "The security code (the 3 digits on the back) is not right. Check it and try again."
    )
    code = "card_cvc"


class CardFundsShort(PaymentDeclined):
    template = N_(
        "The card's limit or balance is not enough. No money was taken; try another card."
    )
    code = "insufficient_funds"


class CardDetailsUnreadable(PaymentDeclined):
    template = N_(
        "The card details could not be read. Check the card number, expiry date and "
        "security code, then try again."
    )
    code = "card_invalid"


class PaymentUnavailable(DomainError):
    template = N_("The payment service did not answer. Please try again in a moment.")
    status = 503
    code = "payment_unavailable"


class RefundTooLarge(Invalid):
    template = N_("At most %(max)s can still be refunded on this order.")
    code = "refund_too_large"


class IllegalOrderChange(Conflict):
    template = N_("Order %(order_id)s cannot become %(target)s (its status: %(status)s).")
    code = "illegal_order_change"
    translated_params = ("target", "status")


class NotYourStore(Forbidden):
    template = N_("Only this store's merchant and operators can do this.")
    code = "not_your_store"


class NotPresenter(Forbidden):
    template = N_("Only this show's creators, its merchant and operators can do this.")
    code = "not_presenter"


class BadSignature(DomainError):
    template = N_("The webhook signature is not valid.")
    status = 400
    code = "bad_signature"


class EventNotApplied(DomainError):
    """A payment event that failed for a reason other than being a duplicate: the one
    answer that is a 5xx on purpose, so that Stripe delivers the event again."""

    template = N_("This payment event could not be applied; send it again later.")
    status = 500
    code = "event_not_applied"


# The status codes, kept in the catalogs for pages that still translate a code (pages
# should show `OrderStatus.label` instead).
STATUS_WORDS = (
    N_("pending"),
    N_("paid"),
    N_("preparing"),
    N_("shipped"),
    N_("delivered"),
    N_("cancelled"),
    N_("refunded"),
)
