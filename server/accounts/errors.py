from __future__ import annotations

from server.errors import N_, Conflict, DomainError, Forbidden, Invalid, Unauthorized


class WrongCredentials(Unauthorized):
    template = N_("The e-mail or password is wrong.")
    code = "wrong_credentials"


class AccountNotActive(Forbidden):
    template = N_("Your account is %(status)s; an operator has to approve it first.")
    code = "account_not_active"


class EmailTaken(Conflict):
    template = N_("An account with this e-mail already exists.")
    code = "email_taken"


class TooManyAttempts(DomainError):
    template = N_("Too many sign-in attempts. Try again in %(seconds)d seconds.")
    status = 429
    code = "too_many_attempts"


class BadAccountInput(Invalid):
    pass


class StoreSlugTaken(Conflict):
    template = N_("Another store already uses the address %(slug)s.")
    code = "slug_taken"
