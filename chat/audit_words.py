"""The audit log's entries as sentences in the reader's language.

The log stores a code and a free detail per action (`timeout` with `5 min`,
`slow_mode` with `15`, `delete_message` with the deleted text); the dashboard shows
what happened in words, never the code.
"""

from __future__ import annotations

from collections.abc import Callable

from server.errors import N_

Gettext = Callable[[str], str]
QUOTE_CHARS = 60  # a deleted message or a notice is quoted up to this many characters

# Actions with no detail to fill in: their sentence names the person acted on, if any.
_PLAIN = {
    "mark_answered": N_("Marked a question from %(user)s as answered"),
    "ban_store": N_("Banned %(user)s from this store's chats"),
    "ban_platform": N_("Banned %(user)s from every chat on the platform"),
    "freeze": N_("Froze the chat"),
    "unfreeze": N_("Unfroze the chat"),
    "appoint_moderator": N_("Made %(user)s a moderator"),
    "lift_ban": N_("Lifted the ban on %(user)s"),
    "lift_timeout": N_("Ended the time-out of %(user)s"),
}


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def _minutes(detail: str) -> int | None:
    # Stored as "5 min".
    head = detail.split()[0] if detail.split() else ""
    return int(head) if head.isdigit() else None


def describe(action: str, target: str, detail: str, gettext: Gettext) -> str:
    """One sentence for one logged action; `target` is the name of the person acted on."""
    user = target or gettext("someone")
    if action in _PLAIN:
        return gettext(_PLAIN[action]) % {"user": user}
    if action == "delete_message":
        return gettext(N_("Deleted a message by %(user)s: “%(text)s”")) % {
            "user": user,
            "text": _quote(detail),
        }
    if action == "timeout":
        minutes = _minutes(detail)
        if minutes is None:
            return gettext(N_("Timed out %(user)s")) % {"user": user}
        return gettext(N_("Timed out %(user)s for %(minutes)d minutes")) % {
            "user": user,
            "minutes": minutes,
        }
    if action == "slow_mode":
        seconds = int(detail) if detail.isdigit() else 0
        if not seconds:
            return gettext(N_("Turned slow mode off"))
        return gettext(N_("Set slow mode: one message every %(seconds)d seconds")) % {
            "seconds": seconds
        }
    if action == "notice":
        if not detail.strip():
            return gettext(N_("Removed the pinned notice"))
        return gettext(N_("Pinned a notice: “%(text)s”")) % {"text": _quote(detail)}
    if action == "banned_word_store":
        return gettext(N_("Banned the word “%(word)s” in this store's chats")) % {"word": detail}
    if action == "banned_word_platform":
        return gettext(N_("Banned the word “%(word)s” on the whole platform")) % {"word": detail}
    return gettext(N_("Changed the chat's moderation settings"))
