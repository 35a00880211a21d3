"""The base of every domain error.

A domain error carries an English message template and its parameters. `str(err)` is the
English sentence for logs; the edge (a page, the JSON API, a Socket.IO error event)
translates `template` through the user's catalog and fills in the same parameters, so
the error reads in the user's language without the domain knowing about requests.
"""

from __future__ import annotations

from typing import Any, ClassVar


def N_(message: str) -> str:
    """Mark a string for extraction into the catalogs without translating it here."""
    return message


class DomainError(Exception):
    template: ClassVar[str] = N_("Something went wrong.")
    # The HTTP status the edge should answer with.
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    # Parameters that are themselves words to translate (a state name, an action).
    translated_params: ClassVar[tuple[str, ...]] = ()

    def __init__(self, template: str | None = None, **params: Any) -> None:
        self.message_template = template or self.template
        self.params = params
        super().__init__(self.message_template % params if params else self.message_template)

    def translate(self, gettext: Any) -> str:
        text: str = gettext(self.message_template)
        if not self.params:
            return text
        params = {
            k: gettext(v) if k in self.translated_params and isinstance(v, str) else v
            for k, v in self.params.items()
        }
        return text % params


class NotFound(DomainError):
    template = N_("Not found.")
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    template = N_("You are not allowed to do this.")
    status = 403
    code = "forbidden"


class WrongRole(Forbidden):
    """The signed-in account's role may not use this page or endpoint."""

    template = N_("This page is for %(roles)s only.")
    code = "wrong_role"

    def translate(self, gettext: Any) -> str:
        roles = ", ".join(gettext(r) for r in self.params["roles"])
        text: str = gettext(self.message_template)
        return text % {"roles": roles}


class Unauthorized(DomainError):
    template = N_("Please sign in first.")
    status = 401
    code = "unauthorized"


class Conflict(DomainError):
    template = N_("This conflicts with the current state.")
    status = 409
    code = "conflict"


class Invalid(DomainError):
    template = N_("The input is not valid.")
    status = 422
    code = "invalid"

    def __init__(self, template: str | None = None, *, field: str = "", **params: Any) -> None:
        self.field = field
        super().__init__(template, **params)


class BadRequest(Invalid):
    """The request itself cannot be read: a malformed body, a value of the wrong JSON
    type, text that cannot be stored. (A readable value that breaks a rule is `Invalid`.)"""

    template = N_("The request could not be read.")
    status = 400
    code = "bad_request"
