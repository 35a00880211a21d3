"""Chat queries and changes. Functions take the session first; handlers build no SQL.

Who may moderate is decided here, next to the data: a show's presenters
(`can_present`: operators, its merchant and creators) and the moderators its store
appointed. Every moderation change writes a row to the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat import errors
from chat.models import (
    BannedWord,
    ChatMessage,
    ChatModerator,
    ChatRestriction,
    ChatRoom,
    ModerationAction,
)
from chat.text import MAX_WORD_CHARS, normalise
from server.accounts.models import AccountStatus, Role, User
from server.db import utcnow
from server.errors import N_, DomainError, Invalid
from server.shows.models import Show
from server.shows.service import can_present, get_show

HISTORY_SIZE = 50
MAX_NOTICE_CHARS = 200
MAX_TIMEOUT_MINUTES = 24 * 60
MAX_SLOW_MODE_SECONDS = 600


@dataclass(frozen=True)
class Chatter:
    """Who is behind a socket, as read from the session cookie at connect time."""

    user_id: int
    name: str
    role: Role
    store_id: int | None

    def as_user(self) -> User:
        """A detached User for the permission checks of server.shows.service."""
        return User(
            id=self.user_id,
            role=self.role,
            status=AccountStatus.ACTIVE,
            store_id=self.store_id,
            display_name=self.name,
        )


def message_view(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.key,
        "show_id": message.show_id,
        "user_id": message.user_id,
        "author": message.author_name,
        "badge": message.badge,
        "text": message.body,
        "question": message.is_question,
        "answered": message.answered_at is not None,
        "offset_ms": message.offset_ms,
        "at": message.created_at.isoformat(),
    }


async def room_of(session: AsyncSession, show_id: int) -> ChatRoom:
    room = await session.get(ChatRoom, show_id)
    return room or ChatRoom(show_id=show_id, slow_mode_seconds=0, frozen=False, notice="")


def room_view(room: ChatRoom) -> dict[str, Any]:
    return {"slow_mode": room.slow_mode_seconds, "frozen": room.frozen, "notice": room.notice}


async def _room_for_update(session: AsyncSession, show_id: int) -> ChatRoom:
    room = await session.get(ChatRoom, show_id)
    if room is None:
        room = ChatRoom(show_id=show_id, slow_mode_seconds=0, frozen=False, notice="")
        session.add(room)
    return room


async def recent_messages(
    session: AsyncSession, show_id: int, limit: int = HISTORY_SIZE
) -> list[ChatMessage]:
    rows = await session.scalars(
        select(ChatMessage)
        .where(ChatMessage.show_id == show_id, ChatMessage.deleted_at.is_(None))
        .order_by(ChatMessage.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))


async def open_questions(session: AsyncSession, show_id: int) -> list[ChatMessage]:
    rows = await session.scalars(
        select(ChatMessage)
        .where(
            ChatMessage.show_id == show_id,
            ChatMessage.is_question.is_(True),
            ChatMessage.answered_at.is_(None),
            ChatMessage.deleted_at.is_(None),
        )
        .order_by(ChatMessage.id)
    )
    return list(rows)


async def is_appointed(session: AsyncSession, user_id: int, store_id: int) -> bool:
    found = await session.scalar(
        select(ChatModerator.id).where(
            ChatModerator.store_id == store_id, ChatModerator.user_id == user_id
        )
    )
    return found is not None


def can_follow_store(user: User | None, store_id: int) -> bool:
    """The store's own merchant and operators; nobody suspended, nobody else."""
    if user is None or not user.is_active:
        return False
    return user.role is Role.OPERATOR or (user.role is Role.MERCHANT and user.store_id == store_id)


async def can_moderate(session: AsyncSession, chatter: Chatter | None, show: Show) -> bool:
    if chatter is None:
        return False
    if can_present(chatter.as_user(), show):
        return True
    return await is_appointed(session, chatter.user_id, show.store_id)


async def badge_for(session: AsyncSession, chatter: Chatter, show: Show) -> str:
    if can_present(chatter.as_user(), show):
        return chatter.role.value
    if await is_appointed(session, chatter.user_id, show.store_id):
        return "moderator"
    return Role.SHOPPER.value if chatter.role is Role.SHOPPER else chatter.role.value


async def active_restriction(
    session: AsyncSession, user_id: int, store_id: int
) -> ChatRestriction | None:
    """The ban (preferred) or time-out that stops this user on this store's shows."""
    now = utcnow()
    rows = await session.scalars(
        select(ChatRestriction).where(
            ChatRestriction.user_id == user_id,
            or_(ChatRestriction.store_id.is_(None), ChatRestriction.store_id == store_id),
            or_(ChatRestriction.expires_at.is_(None), ChatRestriction.expires_at > now),
        )
    )
    found = list(rows)
    bans = [r for r in found if r.kind == "ban"]
    if bans:
        return bans[0]
    return max(found, key=lambda r: r.expires_at or now, default=None)


def restriction_error(restriction: ChatRestriction) -> DomainError:
    if restriction.kind == "ban" or restriction.expires_at is None:
        return errors.Banned()
    left = restriction.expires_at - utcnow()
    minutes = max(1, int(left.total_seconds() // 60) + (1 if left.total_seconds() % 60 else 0))
    return errors.TimedOut(minutes=minutes)


async def banned_words(session: AsyncSession, store_id: int) -> list[str]:
    rows = await session.scalars(
        select(BannedWord.word).where(
            or_(BannedWord.store_id.is_(None), BannedWord.store_id == store_id)
        )
    )
    return list(rows)


async def log_action(
    session: AsyncSession,
    actor: Chatter,
    show: Show,
    action: str,
    *,
    target_user_id: int | None = None,
    message_id: int | None = None,
    detail: str = "",
) -> None:
    session.add(
        ModerationAction(
            actor_id=actor.user_id,
            show_id=show.id,
            store_id=show.store_id,
            action=action,
            target_user_id=target_user_id,
            message_id=message_id,
            detail=detail,
        )
    )


async def moderated_show(session: AsyncSession, actor: Chatter | None, show_id: int) -> Show:
    """The show, if `actor` may moderate its chat."""
    show = await get_show(session, show_id)
    if not await can_moderate(session, actor, show):
        raise errors.NotModerator()
    return show


async def _message_of(session: AsyncSession, show_id: int, message_id: str) -> ChatMessage:
    message = await session.scalar(select(ChatMessage).where(ChatMessage.key == message_id))
    if message is None or message.show_id != show_id or message.deleted_at is not None:
        raise errors.MessageNotFound()
    return message


async def delete_message(
    session: AsyncSession, actor: Chatter, show: Show, message_id: str
) -> ChatMessage:
    message = await _message_of(session, show.id, message_id)
    message.deleted_at = utcnow()
    await log_action(
        session,
        actor,
        show,
        "delete_message",
        target_user_id=message.user_id,
        message_id=message.id,
        detail=message.body,
    )
    return message


async def mark_answered(
    session: AsyncSession, actor: Chatter, show: Show, message_id: str
) -> ChatMessage:
    message = await _message_of(session, show.id, message_id)
    if not message.is_question:
        raise errors.NotAQuestion()
    if message.answered_at is None:
        message.answered_at = utcnow()
    await log_action(session, actor, show, "mark_answered", message_id=message.id)
    return message


async def _check_target(session: AsyncSession, show: Show, target_id: int) -> User:
    target = await session.get(User, target_id)
    if target is None:
        raise Invalid(N_("There is no such user."), field="user_id")
    if (
        target.role is Role.OPERATOR
        or can_present(target, show)
        or await is_appointed(session, target.id, show.store_id)
    ):
        raise errors.CannotModerateStaff()
    return target


async def time_out(
    session: AsyncSession, actor: Chatter, show: Show, target_id: int, minutes: int
) -> ChatRestriction:
    if not 1 <= minutes <= MAX_TIMEOUT_MINUTES:
        raise Invalid(
            N_("A time-out lasts 1 to %(max)d minutes."), field="minutes", max=MAX_TIMEOUT_MINUTES
        )
    await _check_target(session, show, target_id)
    restriction = ChatRestriction(
        user_id=target_id,
        store_id=show.store_id,
        kind="timeout",
        expires_at=utcnow() + dt.timedelta(minutes=minutes),
        created_by=actor.user_id,
    )
    session.add(restriction)
    await log_action(
        session, actor, show, "timeout", target_user_id=target_id, detail=f"{minutes} min"
    )
    return restriction


async def ban(
    session: AsyncSession, actor: Chatter, show: Show, target_id: int, platform: bool
) -> ChatRestriction:
    if platform and actor.role is not Role.OPERATOR:
        raise errors.OperatorsOnly()
    await _check_target(session, show, target_id)
    restriction = ChatRestriction(
        user_id=target_id,
        store_id=None if platform else show.store_id,
        kind="ban",
        created_by=actor.user_id,
    )
    session.add(restriction)
    await log_action(
        session, actor, show, "ban_platform" if platform else "ban_store", target_user_id=target_id
    )
    return restriction


async def set_slow_mode(
    session: AsyncSession, actor: Chatter, show: Show, seconds: int
) -> ChatRoom:
    if not 0 <= seconds <= MAX_SLOW_MODE_SECONDS:
        raise Invalid(
            N_("Slow mode is 0 to %(max)d seconds."), field="seconds", max=MAX_SLOW_MODE_SECONDS
        )
    room = await _room_for_update(session, show.id)
    room.slow_mode_seconds = seconds
    await log_action(session, actor, show, "slow_mode", detail=str(seconds))
    return room


async def set_frozen(session: AsyncSession, actor: Chatter, show: Show, frozen: bool) -> ChatRoom:
    room = await _room_for_update(session, show.id)
    room.frozen = frozen
    await log_action(session, actor, show, "freeze" if frozen else "unfreeze")
    return room


async def set_notice(session: AsyncSession, actor: Chatter, show: Show, text: str) -> ChatRoom:
    notice = text.strip()
    if len(notice) > MAX_NOTICE_CHARS:
        raise errors.MessageTooLong(max=MAX_NOTICE_CHARS)
    room = await _room_for_update(session, show.id)
    room.notice = notice
    await log_action(session, actor, show, "notice", detail=notice)
    return room


async def add_banned_word(
    session: AsyncSession, actor: Chatter, show: Show, word: str, platform: bool
) -> str:
    if platform and actor.role is not Role.OPERATOR:
        raise errors.OperatorsOnly()
    flat = normalise(word)
    if not flat or len(flat) > MAX_WORD_CHARS:
        raise Invalid(
            N_("A banned word has 1 to %(max)d letters."), field="word", max=MAX_WORD_CHARS
        )
    store_id = None if platform else show.store_id
    exists = await session.scalar(
        select(BannedWord.id).where(
            BannedWord.word == flat,
            BannedWord.store_id.is_(None) if store_id is None else BannedWord.store_id == store_id,
        )
    )
    if exists is None:
        session.add(BannedWord(store_id=store_id, word=flat))
    await log_action(
        session,
        actor,
        show,
        "banned_word_platform" if platform else "banned_word_store",
        detail=flat,
    )
    return flat


async def appoint_moderator(
    session: AsyncSession, actor: Chatter, show: Show, user_id: int
) -> None:
    """Only a show's presenters appoint; moderators cannot appoint more of themselves."""
    if not can_present(actor.as_user(), show):
        raise errors.NotModerator()
    target = await session.get(User, user_id)
    if target is None or target.status is not AccountStatus.ACTIVE:
        raise Invalid(N_("There is no such user."), field="user_id")
    if not await is_appointed(session, user_id, show.store_id):
        session.add(
            ChatModerator(store_id=show.store_id, user_id=user_id, appointed_by=actor.user_id)
        )
    await log_action(session, actor, show, "appoint_moderator", target_user_id=user_id)


async def audit_log(session: AsyncSession, show_id: int) -> list[ModerationAction]:
    rows = await session.scalars(
        select(ModerationAction)
        .where(ModerationAction.show_id == show_id)
        .order_by(ModerationAction.id)
    )
    return list(rows)
