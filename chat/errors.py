"""Chat errors. Each becomes a `chat_error` event in the sender's language."""

from __future__ import annotations

from server.errors import N_, Conflict, DomainError, Forbidden, Invalid, NotFound


class ChatError(DomainError):
    template = N_("This chat action is not possible.")
    code = "chat_error"


class BadPayload(Invalid):
    template = N_("This request is not understood.")
    code = "bad_payload"


class UnknownEvent(Invalid):
    template = N_("Unknown chat event: %(event)s.")
    code = "unknown_event"


class NotJoined(Conflict):
    template = N_("Join the show's chat first.")
    code = "not_joined"


class WrongRoom(Forbidden):
    template = N_("You can only post in the show you are watching.")
    code = "wrong_room"


class SignInToChat(Forbidden):
    template = N_("Sign in to chat.")
    code = "sign_in"


class NotModerator(Forbidden):
    template = N_("Only this show's staff and moderators can do this.")
    code = "not_moderator"


class NotStoreStaff(Forbidden):
    template = N_("Only the store's merchant and operators can follow its orders.")
    code = "not_store_staff"


class OperatorsOnly(Forbidden):
    template = N_("Only operators can do this.")
    code = "operators_only"


class EmptyMessage(Invalid):
    template = N_("Write something first.")
    code = "empty"


class BadCharacters(Invalid):
    template = N_(
        "Your text contains characters that cannot be shown (a control character or a"
        " broken emoji). Remove them and try again."
    )
    code = "bad_text"


class MessageTooLong(Invalid):
    template = N_("A message can have at most %(max)d characters.")
    code = "too_long"


class Banned(Forbidden):
    template = N_("You are banned from this chat.")
    code = "banned"


class TimedOut(Forbidden):
    template = N_("You are timed out of this chat for %(minutes)d more minute(s).")
    code = "timed_out"


class TooFast(ChatError):
    template = N_("You are sending messages too fast. Wait %(seconds)d second(s).")
    code = "too_fast"


class SlowMode(ChatError):
    template = N_("Slow mode is on: wait %(seconds)d second(s) before your next message.")
    code = "slow_mode"


class ChatFrozen(ChatError):
    template = N_("The chat is frozen for now.")
    code = "frozen"


class BannedWord(ChatError):
    template = N_("Your message contains a word that is not allowed here.")
    code = "banned_word"


class LinksNotAllowed(ChatError):
    template = N_("Only the show's staff can post links.")
    code = "links"


class ShowClosed(ChatError):
    template = N_("This show has ended, so its chat is closed.")
    code = "show_closed"


class NotStored(ChatError):
    template = N_("Your message could not be saved. Please send it again.")
    code = "not_stored"


class MessageNotFound(NotFound):
    template = N_("This message no longer exists.")
    code = "message_not_found"


class NotAQuestion(Conflict):
    template = N_("This message is not a question.")
    code = "not_a_question"


class ShowNotOpen(NotFound):
    template = N_("There is no such show.")
    code = "no_show"


class CannotModerateStaff(Forbidden):
    template = N_("Staff members cannot be timed out or banned.")
    code = "staff"
