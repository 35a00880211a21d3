"""Errors of the trust domain: messages say the state, the edge translates them."""

from __future__ import annotations

from server.errors import N_, Conflict, Invalid, NotFound


class BadTrustInput(Invalid):
    pass


class SellerNotVerified(Conflict):
    template = N_(
        "%(store)s cannot go public yet: the seller's business details must be filled in "
        "and verified by an operator first."
    )
    code = "seller_not_verified"


class WithdrawalNotFound(NotFound):
    template = N_("Withdrawal request %(withdrawal_id)s does not exist.")
    code = "withdrawal_not_found"


class WithdrawalNotAllowed(Conflict):
    template = N_("Order %(order_id)s cannot be withdrawn: %(why)s")
    code = "withdrawal_not_allowed"
    translated_params = ("why",)


class WithdrawalClosed(Conflict):
    template = N_("Withdrawal request %(withdrawal_id)s is already %(state)s.")
    code = "withdrawal_closed"
    translated_params = ("state",)


class ReportNotFound(NotFound):
    template = N_("Report %(report_id)s does not exist.")
    code = "report_not_found"
