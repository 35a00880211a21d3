"""Insights errors: each says what to fix, translated at the edge."""

from __future__ import annotations

from server.errors import N_, Invalid


class BadPlan(Invalid):
    """A planned show the forecast cannot read (`field` names the form field)."""

    template = N_("Check the planned show.")
    code = "bad_plan"
