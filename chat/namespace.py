"""The Socket.IO handlers: one AsyncNamespace, given its dependencies at construction.

Per-socket state lives in the Socket.IO session: who is behind it (read from the page's
session cookie at connect time), their language, and the show they joined. Every
handler checks the sender's rights itself; every refusal becomes a `chat_error` event
in the sender's language, and nothing is broadcast or stored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any

import socketio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat import errors, payloads
from chat import service as chat
from chat.cache import RoomContext
from chat.hub import ChatHub, room_name, user_room
from chat.models import ChatRoom
from chat.socketio_hooks import UNKNOWN_EVENT
from server.accounts.models import Role, User
from server.analytics.interfaces import PresenceLog
from server.analytics.presence import viewer_key
from server.errors import DomainError
from server.events import ChatCommand, ChatEvent
from server.i18n import LOCALE_COOKIE, Catalogs, pick_locale
from server.security import CSRF_COOKIE, user_from_cookies
from server.settings import Settings
from server.shows.errors import ShowNotFound
from server.shows.service import get_visible_show

log = logging.getLogger("jangteo.chat")

Handler = Callable[..., Awaitable[Any]]


class ChatNamespace(socketio.AsyncNamespace):  # type: ignore[misc]  # python-socketio is untyped
    def __init__(
        self,
        hub: ChatHub,
        sessionmaker: async_sessionmaker[AsyncSession],
        catalogs: Catalogs,
        settings: Settings,
        presence: PresenceLog,
    ) -> None:
        super().__init__("/")
        self.hub = hub
        self.sessionmaker = sessionmaker
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

    async def refuse(self, sid: str, exc: DomainError, event: str) -> None:
        session = await self.get_session(sid)
        gettext = self.catalogs.get(session.get("locale", self.catalogs.default)).gettext
        await self.emit(
            ChatEvent.ERROR,
            {"code": exc.code, "message": exc.translate(gettext), "event": event},
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
        await self.save_session(
            sid,
            {
                "chatter": chatter,
                "locale": locale,
                "show_id": None,
                "browser": cookies.get(CSRF_COOKIE),
            },
        )

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = await self.get_session(sid)
        if session.get("show_id") is not None:
            await self.hub.viewer_left(session["show_id"], sid)
            await self._visit_ended(session)

    async def _visit_started(self, sid: str, session: dict[str, Any], show_id: int) -> None:
        chatter: chat.Chatter | None = session["chatter"]
        user_id = chatter.user_id if chatter else None
        session["visit_id"] = await self.presence.joined(
            show_id, viewer_key(user_id, session.get("browser"), sid), user_id
        )

    async def _visit_ended(self, session: dict[str, Any]) -> None:
        visit_id = session.pop("visit_id", None)
        if visit_id is not None:
            await self.presence.left(visit_id)

    # --- viewers ------------------------------------------------------------------------

    async def on_join(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int}, {"watching": bool})
        show_id = fields["show_id"]
        session = await self.get_session(sid)
        chatter: chat.Chatter | None = session["chatter"]
        # Messages already sent to the room are in the history too.
        await self.hub.wait_stored()
        async with self.sessionmaker() as db:
            # The same rule as every page and route: a show the viewer may not see
            # (a slot request, say) is answered like one that does not exist.
            viewer = await db.get(User, chatter.user_id) if chatter else None
            try:
                show = await get_visible_show(db, viewer, show_id)
            except ShowNotFound:
                raise errors.ShowNotOpen() from None
            history = await chat.recent_messages(db, show_id)
            room = await chat.room_of(db, show_id)
            moderator = await chat.can_moderate(db, chatter, show)
            badge = await chat.badge_for(db, chatter, show) if chatter else ""
            restriction = (
                await chat.active_restriction(db, chatter.user_id, show.store_id)
                if chatter
                else None
            )
        # Warm what posting needs now, while joining, not on the first message.
        await self.hub.cache.room(show_id)
        if chatter is not None:
            self.hub.cache.prime_restriction(chatter.user_id, show.store_id, restriction)
        previous = session.get("show_id")
        if previous is not None and previous != show_id:
            await self.leave_room(sid, room_name(previous))
            await self.hub.viewer_left(previous, sid)
            await self._visit_ended(session)
        # Staff working in the studio or the moderation dashboard say they are not
        # watching: they read the room without counting as its viewers.
        counted = fields.get("watching", True) or not moderator
        session.update(show_id=show_id, store_id=show.store_id, badge=badge, staff=moderator)
        await self.save_session(sid, session)
        await self.enter_room(sid, room_name(show_id))
        if counted and previous != show_id:
            await self.hub.viewer_joined(show_id, sid)
            await self._visit_started(sid, session, show_id)
            await self.save_session(sid, session)
        await self.emit(
            ChatEvent.JOINED,
            {
                "show_id": show_id,
                "messages": [chat.message_view(m) for m in history],
                **chat.room_view(room),
                "viewers": await self.hub.state.viewer_count(show_id),
                "hearts": await self.hub.heart_total(show_id),
                "me": {
                    "signed_in": chatter is not None,
                    "can_moderate": moderator,
                    "user_id": chatter.user_id if chatter else None,
                    "badge": badge,
                    "is_operator": chatter is not None and chatter.role is Role.OPERATOR,
                },
            },
            to=sid,
        )
        if restriction is not None:
            await self.refuse(sid, chat.restriction_error(restriction), ChatCommand.JOIN)

    async def on_heart(self, sid: str, data: Any = None) -> None:
        show_id = payloads.read(data, {"show_id": int})["show_id"]
        await self._joined(sid, show_id)
        self.hub.add_heart(show_id)

    async def _joined(self, sid: str, show_id: int) -> dict[str, Any]:
        session: dict[str, Any] = await self.get_session(sid)
        if session.get("show_id") is None:
            raise errors.NotJoined()
        if session["show_id"] != show_id:
            raise errors.WrongRoom()
        return session

    # --- posting ------------------------------------------------------------------------

    async def on_send_message(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "text": str}, {"question": bool})
        session = await self._joined(sid, fields["show_id"])
        chatter: chat.Chatter | None = session["chatter"]
        if chatter is None:
            raise errors.SignInToChat()
        staff: bool = session["staff"]
        if not staff:
            await self._flood_check(chatter.user_id)
        room = await self.hub.cache.room(fields["show_id"])
        restriction = await self.hub.cache.restriction(chatter.user_id, room.store_id)
        draft = chat.check_message(
            room,
            restriction,
            chatter,
            fields["text"],
            question=fields.get("question", False),
            staff=staff,
            badge=session["badge"],
        )
        if not staff:
            # Claimed last so a refused message does not cost the sender their turn.
            await self._slow_mode_check(room, chatter.user_id)
        self.hub.post(draft)

    async def _flood_check(self, user_id: int) -> None:
        state, options = self.hub.state, self.hub.options
        muted = await state.remaining_ms(f"mute:{user_id}")
        if muted:
            raise errors.TooFast(seconds=max(1, round(muted / 1000)))
        count = await state.hit(f"rate:{user_id}", int(options.rate_limit_seconds * 1000))
        if count > options.rate_limit_count:
            await state.claim(f"mute:{user_id}", int(options.mute_seconds * 1000))
            raise errors.TooFast(seconds=round(options.mute_seconds))

    async def _slow_mode_check(self, room: RoomContext, user_id: int) -> None:
        if room.slow_mode_seconds <= 0:
            return
        key = f"slow:{room.show_id}:{user_id}"
        if not await self.hub.state.claim(key, room.slow_mode_seconds * 1000):
            left = await self.hub.state.remaining_ms(key)
            raise errors.SlowMode(seconds=max(1, round(left / 1000)))

    # --- presenters and moderators ------------------------------------------------------

    async def _moderate(
        self,
        sid: str,
        show_id: int,
        action: Callable[[AsyncSession, chat.Chatter, Any], Awaitable[Any]],
    ) -> Any:
        session = await self._joined(sid, show_id)
        chatter: chat.Chatter | None = session["chatter"]
        if chatter is None:
            raise errors.NotModerator()
        async with self.sessionmaker.begin() as db:
            show = await chat.moderated_show(db, chatter, show_id)
            return await action(db, chatter, show)

    async def _done(self, sid: str, event: str) -> None:
        await self.emit(ChatEvent.DONE, {"event": event}, to=sid)

    async def on_open_questions(self, sid: str, data: Any = None) -> None:
        show_id = payloads.read(data, {"show_id": int})["show_id"]
        await self.hub.wait_stored()

        async def load(db: AsyncSession, actor: chat.Chatter, show: Any) -> list[Any]:
            return [chat.message_view(m) for m in await chat.open_questions(db, show.id)]

        questions = await self._moderate(sid, show_id, load)
        await self.emit(ChatEvent.QUESTIONS, {"show_id": show_id, "questions": questions}, to=sid)

    async def on_mark_answered(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "message_id": str})

        await self.hub.wait_stored()

        async def answer(db: AsyncSession, actor: chat.Chatter, show: Any) -> Any:
            return await chat.mark_answered(db, actor, show, fields["message_id"])

        await self._moderate(sid, fields["show_id"], answer)
        await self.hub.publish(
            fields["show_id"], ChatEvent.QUESTION_ANSWERED, {"id": fields["message_id"]}
        )

    async def on_delete_message(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "message_id": str})

        await self.hub.wait_stored()

        async def delete(db: AsyncSession, actor: chat.Chatter, show: Any) -> Any:
            return await chat.delete_message(db, actor, show, fields["message_id"])

        await self._moderate(sid, fields["show_id"], delete)
        await self.hub.publish(
            fields["show_id"], ChatEvent.MESSAGE_DELETED, {"id": fields["message_id"]}
        )
        await self._done(sid, ChatCommand.DELETE_MESSAGE)

    async def on_timeout_user(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "user_id": int, "minutes": int})

        async def timeout(db: AsyncSession, actor: chat.Chatter, show: Any) -> Any:
            return await chat.time_out(db, actor, show, fields["user_id"], fields["minutes"])

        restriction = await self._moderate(sid, fields["show_id"], timeout)
        self.hub.cache.forget_user(fields["user_id"])
        await self._tell_user(fields["user_id"], chat.restriction_error(restriction))
        await self._done(sid, ChatCommand.TIMEOUT_USER)

    async def on_ban_user(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "user_id": int}, {"platform": bool})

        async def ban(db: AsyncSession, actor: chat.Chatter, show: Any) -> Any:
            return await chat.ban(db, actor, show, fields["user_id"], fields.get("platform", False))

        await self._moderate(sid, fields["show_id"], ban)
        self.hub.cache.forget_user(fields["user_id"])
        await self._tell_user(fields["user_id"], errors.Banned())
        await self._done(sid, ChatCommand.BAN_USER)

    async def _tell_user(self, user_id: int, error: DomainError) -> None:
        """Tell every open socket of a user, on any process, why they cannot post now."""
        async with self.sessionmaker() as db:
            target = await db.get(User, user_id)
        locale = target.locale if target else self.settings.default_locale
        gettext = self.catalogs.get(locale).gettext
        await self.emit(
            ChatEvent.ERROR,
            {"code": error.code, "message": error.translate(gettext), "event": "moderation"},
            room=user_room(user_id),
        )

    async def _room_changed(self, sid: str, show_id: int, event: str, room: ChatRoom) -> None:
        self.hub.cache.forget_room(show_id)
        await self.hub.publish(show_id, ChatEvent.ROOM_STATE, chat.room_view(room))
        await self._done(sid, event)

    async def on_set_slow_mode(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "seconds": int})

        async def slow(db: AsyncSession, actor: chat.Chatter, show: Any) -> Any:
            return await chat.set_slow_mode(db, actor, show, fields["seconds"])

        room = await self._moderate(sid, fields["show_id"], slow)
        await self._room_changed(sid, fields["show_id"], ChatCommand.SET_SLOW_MODE, room)

    async def on_set_frozen(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "frozen": bool})

        async def freeze(db: AsyncSession, actor: chat.Chatter, show: Any) -> Any:
            return await chat.set_frozen(db, actor, show, fields["frozen"])

        room = await self._moderate(sid, fields["show_id"], freeze)
        await self._room_changed(sid, fields["show_id"], ChatCommand.SET_FROZEN, room)

    async def on_set_notice(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "text": str})

        async def notice(db: AsyncSession, actor: chat.Chatter, show: Any) -> Any:
            return await chat.set_notice(db, actor, show, fields["text"])

        room = await self._moderate(sid, fields["show_id"], notice)
        await self._room_changed(sid, fields["show_id"], ChatCommand.SET_NOTICE, room)

    async def on_add_banned_word(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "word": str}, {"platform": bool})

        async def add(db: AsyncSession, actor: chat.Chatter, show: Any) -> Any:
            return await chat.add_banned_word(
                db, actor, show, fields["word"], fields.get("platform", False)
            )

        await self._moderate(sid, fields["show_id"], add)
        self.hub.cache.forget_room(None if fields.get("platform") else fields["show_id"])
        await self._done(sid, ChatCommand.ADD_BANNED_WORD)

    async def on_appoint_moderator(self, sid: str, data: Any = None) -> None:
        fields = payloads.read(data, {"show_id": int, "user_id": int})

        async def appoint(db: AsyncSession, actor: chat.Chatter, show: Any) -> Any:
            return await chat.appoint_moderator(db, actor, show, fields["user_id"])

        await self._moderate(sid, fields["show_id"], appoint)
        await self._done(sid, ChatCommand.APPOINT_MODERATOR)
