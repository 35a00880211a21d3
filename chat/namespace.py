"""The Socket.IO handlers: one AsyncNamespace, given its dependencies at construction.

Handlers parse a payload, make one domain call and translate its result or error into
Socket.IO events: joining through `chat.joining.RoomEntry`, posting through
`chat.posting.ChatPosting`, moderation through `chat.moderation.ChatModeration`; this
module holds no chat rule. Per-socket state is a typed `SocketSession`: who is behind the socket
(read from the page's session cookie at connect time), their language, and the show
they joined. Every refusal becomes a `chat_error` event in the sender's language, and
nothing is broadcast or stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any

import socketio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat import errors, payloads
from chat import service as chat
from chat.hub import ChatHub, room_name, store_room, user_room
from chat.joining import RoomEntry
from chat.moderation import ChatModeration, Sanction
from chat.posting import ChatPosting, PostedMessage
from chat.session import SocketSession
from chat.socketio_hooks import UNKNOWN_EVENT
from server.accounts.models import Role, User
from server.analytics.interfaces import PresenceLog
from server.analytics.presence import viewer_key
from server.errors import DomainError
from server.events import ChatCommand, ChatEvent
from server.i18n import LOCALE_COOKIE, Catalogs, pick_locale
from server.security import CSRF_COOKIE, user_from_cookies
from server.settings import Settings

log = logging.getLogger("jangteo.chat")

Handler = Callable[..., Awaitable[Any]]


class ChatNamespace(socketio.AsyncNamespace):  # type: ignore[misc]  # python-socketio is untyped
    def __init__(
        self,
        hub: ChatHub,
        entry: RoomEntry,
        posting: ChatPosting,
        moderation: ChatModeration,
        sessionmaker: async_sessionmaker[AsyncSession],
        catalogs: Catalogs,
        settings: Settings,
        presence: PresenceLog,
    ) -> None:
        super().__init__("/")
        self.hub = hub
        self.entry = entry
        self.posting = posting
        self.moderation = moderation
        self.sessionmaker = sessionmaker
        self._sessions: dict[str, SocketSession] = {}
        # Senders waiting for their message to be stored (held so they are not collected).
        self._acks: set[asyncio.Task[None]] = set()
        # Who watched what, when (for the show's numbers).
        self.presence = presence
        self.catalogs = catalogs
        self.settings = settings
        self._handlers: dict[str, Handler] = {
            ChatCommand.JOIN: self.on_join,
            ChatCommand.SEND_MESSAGE: self.on_send_message,
            ChatCommand.HEART: self.on_heart,
            ChatCommand.OPEN_QUESTIONS: self.on_open_questions,
            ChatCommand.MARK_ANSWERED: self.on_mark_answered,
            ChatCommand.DELETE_MESSAGE: self.on_delete_message,
            ChatCommand.TIMEOUT_USER: self.on_timeout_user,
            ChatCommand.BAN_USER: self.on_ban_user,
            ChatCommand.SET_SLOW_MODE: self.on_set_slow_mode,
            ChatCommand.SET_FROZEN: self.on_set_frozen,
            ChatCommand.SET_NOTICE: self.on_set_notice,
            ChatCommand.ADD_BANNED_WORD: self.on_add_banned_word,
            ChatCommand.APPOINT_MODERATOR: self.on_appoint_moderator,
            ChatCommand.FOLLOW_STORE: self.on_follow_store,
        }

    # --- dispatch -----------------------------------------------------------------------

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid = args[0]
        handler = self._handlers.get(event)
        try:
            if event == UNKNOWN_EVENT or handler is None:
                raise errors.UnknownEvent(event=args[1] if event == UNKNOWN_EVENT else event)
            return await handler(*args)
        except DomainError as exc:
            await self.refuse(sid, exc, event)
        except Exception:
            log.exception("chat handler failed", extra={"event": event})
            await self.refuse(sid, DomainError(), event)
        return None

    def _session(self, sid: str) -> SocketSession:
        session = self._sessions.get(sid)
        if session is None:  # an event racing a connect that failed
            raise errors.NotJoined()
        return session

    async def refuse(self, sid: str, exc: DomainError, event: str, **extra: Any) -> None:
        session = self._sessions.get(sid)
        gettext = self.catalogs.get(session.locale if session else self.catalogs.default).gettext
        await self.emit(
            ChatEvent.ERROR,
            {"code": exc.code, "message": exc.translate(gettext), "event": event, **extra},
            to=sid,
        )

    # --- connection ---------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        jar = SimpleCookie()
        jar.load(environ.get("HTTP_COOKIE", ""))
        cookies = {name: morsel.value for name, morsel in jar.items()}
        user = await user_from_cookies(self.sessionmaker, cookies)
        chatter = None
        if user is not None and user.is_active:
            chatter = chat.Chatter(
                user_id=user.id, name=user.display_name, role=user.role, store_id=user.store_id
            )
            await self.enter_room(sid, user_room(user.id))
        locale = pick_locale(
            cookies.get(LOCALE_COOKIE), user.locale if user else None, self.settings.default_locale
        )
        self._sessions[sid] = SocketSession(chatter, locale, browser=cookies.get(CSRF_COOKIE))

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = self._sessions.pop(sid, None)
        if session is not None and session.show_id is not None:
            await self.hub.viewer_left(session.show_id, sid)
            await self._visit_ended(session)

    async def _visit_started(self, sid: str, session: SocketSession, show_id: int) -> None:
        user_id = session.chatter.user_id if session.chatter else None
        session.visit_id = await self.presence.joined(
            show_id, viewer_key(user_id, session.browser, sid), user_id
        )

    async def _visit_ended(self, session: SocketSession) -> None:
        visit_id, session.visit_id = session.visit_id, None
        if visit_id is not None:
            await self.presence.left(visit_id)

    # --- viewers ------------------------------------------------------------------------

    async def on_join(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int}, {"watching": bool})
        show_id = fields["show_id"]
        session = self._session(sid)
        chatter = session.chatter
        entry = await self.entry.enter(chatter, show_id)
        previous = session.show_id
        if previous is not None and previous != show_id:
            await self.leave_room(sid, room_name(previous))
            await self.hub.viewer_left(previous, sid)
            await self._visit_ended(session)
        # Staff working in the studio or the moderation dashboard say they are not
        # watching: they read the room without counting as its viewers.
        counted = fields.get("watching", True) or not entry.staff
        session.show_id, session.store_id = show_id, entry.store_id
        session.badge, session.staff = entry.badge, entry.staff
        await self.enter_room(sid, room_name(show_id))
        if counted and previous != show_id:
            await self.hub.viewer_joined(show_id, sid)
            await self._visit_started(sid, session, show_id)
        await self.emit(
            ChatEvent.JOINED,
            {
                "show_id": show_id,
                "messages": entry.history,
                **entry.room,
                "viewers": await self.hub.viewer_count(show_id),
                "hearts": await self.hub.heart_total(show_id),
                "me": {
                    "signed_in": chatter is not None,
                    "can_moderate": entry.staff,
                    "user_id": chatter.user_id if chatter else None,
                    "badge": entry.badge,
                    "is_operator": chatter is not None and chatter.role is Role.OPERATOR,
                },
            },
            to=sid,
        )
        if entry.barred is not None:
            await self.refuse(sid, entry.barred, ChatCommand.JOIN)

    async def on_follow_store(self, sid: str, data: Any = None) -> None:
        """Join the store's staff room (orders as they are paid: names, addresses).
        Checked against the account as it is now, not as it was at connect time."""
        store_id = payloads.read(data, {"store_id": int})["store_id"]
        chatter = self._session(sid).chatter
        if chatter is None:
            raise errors.NotStoreStaff()
        async with self.sessionmaker() as db:
            user = await db.get(User, chatter.user_id)
        if not chat.can_follow_store(user, store_id):
            raise errors.NotStoreStaff()
        await self.enter_room(sid, store_room(store_id))
        await self.emit(ChatEvent.STORE_FOLLOWED, {"store_id": store_id}, to=sid)

    async def on_heart(self, sid: str, data: Any = None) -> None:
        show_id = payloads.read(data, {"show_id": int})["show_id"]
        await self._joined(sid, show_id)
        self.hub.add_heart(show_id)

    async def _joined(self, sid: str, show_id: int) -> SocketSession:
        session = self._session(sid)
        if session.show_id is None:
            raise errors.NotJoined()
        if session.show_id != show_id:
            raise errors.WrongRoom()
        return session

    # --- posting ------------------------------------------------------------------------

    async def on_send_message(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "text": str}, {"question": bool, "ref": str})
        session = await self._joined(sid, fields["show_id"])
        posted = await self.posting.post(
            session.poster,
            fields["show_id"],
            fields["text"],
            question=fields.get("question", False),
        )
        task = asyncio.get_running_loop().create_task(
            self._acknowledge(sid, posted, fields.get("ref"))
        )
        self._acks.add(task)
        task.add_done_callback(self._acks.discard)

    async def _acknowledge(self, sid: str, posted: PostedMessage, ref: str | None) -> None:
        """Tell the sender once their message is durable (or that it was not stored)."""
        echo = {} if ref is None else {"ref": ref}
        try:
            if await posted.stored:
                await self.emit(ChatEvent.STORED, {"id": posted.draft.key, **echo}, to=sid)
            else:
                await self.refuse(sid, errors.NotStored(), ChatCommand.SEND_MESSAGE, **echo)
        except Exception:  # the sender may be gone; nothing else waits on this
            log.exception("telling a sender about their message failed")

    # --- presenters and moderators ------------------------------------------------------

    async def _actor(self, sid: str, show_id: int) -> chat.Chatter | None:
        return (await self._joined(sid, show_id)).chatter

    async def _done(self, sid: str, event: str) -> None:
        await self.emit(ChatEvent.DONE, {"event": event}, to=sid)

    async def on_open_questions(self, sid: str, data: Any = None) -> None:
        show_id = payloads.read(data, {"show_id": int})["show_id"]
        questions = await self.moderation.open_questions(await self._actor(sid, show_id), show_id)
        await self.emit(ChatEvent.QUESTIONS, {"show_id": show_id, "questions": questions}, to=sid)

    async def on_mark_answered(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "message_id": str})
        show_id = fields["show_id"]
        await self.moderation.mark_answered(
            await self._actor(sid, show_id), show_id, fields["message_id"]
        )

    async def on_delete_message(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "message_id": str})
        show_id = fields["show_id"]
        await self.moderation.delete_message(
            await self._actor(sid, show_id), show_id, fields["message_id"]
        )
        await self._done(sid, ChatCommand.DELETE_MESSAGE)

    async def on_timeout_user(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "user_id": int, "minutes": int})
        show_id = fields["show_id"]
        sanction = await self.moderation.time_out(
            await self._actor(sid, show_id), show_id, fields["user_id"], fields["minutes"]
        )
        await self._tell_user(sanction)
        await self._done(sid, ChatCommand.TIMEOUT_USER)

    async def on_ban_user(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "user_id": int}, {"platform": bool})
        show_id = fields["show_id"]
        sanction = await self.moderation.ban(
            await self._actor(sid, show_id),
            show_id,
            fields["user_id"],
            fields.get("platform", False),
        )
        await self._tell_user(sanction)
        await self._done(sid, ChatCommand.BAN_USER)

    async def _tell_user(self, sanction: Sanction) -> None:
        """Tell every open socket of a user, on any process, why they cannot post now,
        in their language."""
        async with self.sessionmaker() as db:
            target = await db.get(User, sanction.user_id)
        locale = target.locale if target else self.settings.default_locale
        gettext = self.catalogs.get(locale).gettext
        error = sanction.reason
        await self.emit(
            ChatEvent.ERROR,
            {"code": error.code, "message": error.translate(gettext), "event": "moderation"},
            room=user_room(sanction.user_id),
        )

    async def on_set_slow_mode(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "seconds": int})
        show_id = fields["show_id"]
        await self.moderation.set_slow_mode(
            await self._actor(sid, show_id), show_id, fields["seconds"]
        )
        await self._done(sid, ChatCommand.SET_SLOW_MODE)

    async def on_set_frozen(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "frozen": bool})
        show_id = fields["show_id"]
        await self.moderation.set_frozen(await self._actor(sid, show_id), show_id, fields["frozen"])
        await self._done(sid, ChatCommand.SET_FROZEN)

    async def on_set_notice(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "text": str})
        show_id = fields["show_id"]
        await self.moderation.set_notice(await self._actor(sid, show_id), show_id, fields["text"])
        await self._done(sid, ChatCommand.SET_NOTICE)

    async def on_add_banned_word(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "word": str}, {"platform": bool})
        show_id = fields["show_id"]
        await self.moderation.add_banned_word(
            await self._actor(sid, show_id), show_id, fields["word"], fields.get("platform", False)
        )
        await self._done(sid, ChatCommand.ADD_BANNED_WORD)

    async def on_appoint_moderator(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "user_id": int})
        show_id = fields["show_id"]
        await self.moderation.appoint_moderator(
            await self._actor(sid, show_id), show_id, fields["user_id"]
        )
        await self._done(sid, ChatCommand.APPOINT_MODERATOR)
