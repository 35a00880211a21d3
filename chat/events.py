"""Every Socket.IO event name, in one place. docs/events.md describes each one."""

from __future__ import annotations

# Client → server
JOIN = "join"
SEND_MESSAGE = "send_message"
HEART = "heart"
MARK_ANSWERED = "mark_answered"
OPEN_QUESTIONS = "open_questions"
DELETE_MESSAGE = "delete_message"
TIMEOUT_USER = "timeout_user"
BAN_USER = "ban_user"
SET_SLOW_MODE = "set_slow_mode"
SET_FROZEN = "set_frozen"
SET_NOTICE = "set_notice"
ADD_BANNED_WORD = "add_banned_word"
APPOINT_MODERATOR = "appoint_moderator"

# Server → client
JOINED = "joined"
MESSAGES = "messages"  # a batch: every message of one short window, in order
MESSAGE_DELETED = "message_deleted"
QUESTION_ANSWERED = "question_answered"
QUESTIONS = "questions"
HEARTS = "hearts"
VIEWERS = "viewers"
ROOM_STATE = "room_state"
CHAT_ERROR = "chat_error"
DONE = "done"  # a moderation action succeeded (sent to the moderator only)
