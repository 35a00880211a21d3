from __future__ import annotations

from server.errors import N_, Conflict, Invalid, NotFound


class ShowNotFound(NotFound):
    template = N_("Show %(show_id)s does not exist.")
    code = "show_not_found"


class IllegalTransition(Conflict):
    template = N_("Cannot %(action)s show %(show_id)s: it is %(state)s.")
    code = "illegal_transition"
    translated_params = ("action", "state")


class BadShowInput(Invalid):
    pass
