"""The one place that decides which show state may follow which."""

from __future__ import annotations

import datetime as dt
from typing import Final

from server.errors import N_
from server.shows.errors import IllegalTransition
from server.shows.models import Show, ShowState

# action -> (states it may start from, state it leads to)
ACTIONS: Final[dict[str, tuple[frozenset[ShowState], ShowState]]] = {
    N_("start"): (frozenset({ShowState.SCHEDULED}), ShowState.LIVE),
    N_("end"): (frozenset({ShowState.LIVE}), ShowState.ENDED),
    N_("cancel"): (frozenset({ShowState.SCHEDULED}), ShowState.CANCELLED),
}
# Words used when a state is named in a message; listed so the catalogs carry them.
STATE_WORDS: Final = (N_("scheduled"), N_("live"), N_("ended"), N_("cancelled"))


def next_state(show: Show, action: str) -> ShowState:
    """The state `action` leads to from the show's current state, or IllegalTransition."""
    try:
        allowed_from, target = ACTIONS[action]
    except KeyError:
        raise ValueError(f"unknown show action {action!r}") from None
    if show.state not in allowed_from:
        raise IllegalTransition(action=action, show_id=show.id, state=show.state.value)
    return target


def apply(show: Show, action: str, now: dt.datetime, reason: str = "") -> None:
    """Move `show` by `action`, stamping the times the move implies."""
    target = next_state(show, action)
    show.state = target
    if target is ShowState.LIVE:
        show.started_at = now
    elif target is ShowState.ENDED:
        show.ended_at = now
    elif target is ShowState.CANCELLED:
        show.cancel_reason = reason
