"""The operators' moderation dashboard: every live show's chat with its tools, the
audit log, and the bans and time-outs in force, each with an undo."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat.audit_words import describe
from chat.models import ChatRestriction, ModerationAction
from server import keys
from server.accounts.models import Role, Store, User
from server.db import utcnow
from server.errors import N_, NotFound
from server.http import redirect, render, require_user, translations
from server.shows import service as shows
from server.shows.models import ShowState

routes = web.RouteTableDef()
AUDIT_ROWS = 100
# Restriction kinds as the dashboard names them; listed so the catalog carries them.
KIND_WORDS = (N_("ban"), N_("timeout"))


@dataclass(frozen=True)
class AuditRow:
    at: dt.datetime
    action: str
    actor: str
    target: str
    show_id: int | None
    detail: str


@dataclass(frozen=True)
class RestrictionRow:
    id: int
    user: str
    kind: str
    scope: str  # the store's name, or "" for platform-wide
    expires_at: dt.datetime | None


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows.all()}


async def recent_actions(session: AsyncSession, limit: int = AUDIT_ROWS) -> list[AuditRow]:
    actions = list(
        await session.scalars(
            select(ModerationAction).order_by(ModerationAction.id.desc()).limit(limit)
        )
    )
    names = await _names(
        session,
        {a.actor_id for a in actions if a.actor_id}
        | {a.target_user_id for a in actions if a.target_user_id},
    )
    return [
        AuditRow(
            a.created_at,
            a.action,
            names.get(a.actor_id or 0, ""),
            names.get(a.target_user_id or 0, ""),
            a.show_id,
            a.detail,
        )
        for a in actions
    ]


async def restrictions_in_force(session: AsyncSession) -> list[RestrictionRow]:
    now = utcnow()
    rows = (
        await session.execute(
            select(ChatRestriction, User.display_name, Store.name)
            .join(User, User.id == ChatRestriction.user_id)
            .outerjoin(Store, Store.id == ChatRestriction.store_id)
            .where(or_(ChatRestriction.expires_at.is_(None), ChatRestriction.expires_at > now))
            .order_by(ChatRestriction.created_at.desc())
        )
    ).all()
    return [
        RestrictionRow(r.id, name, r.kind, store or "", r.expires_at) for r, name, store in rows
    ]


async def lift(session: AsyncSession, operator: User, restriction_id: int) -> int:
    """Undo a ban or time-out; returns the user it applied to. Logged like any action."""
    restriction = await session.get(ChatRestriction, restriction_id)
    if restriction is None:
        raise NotFound(N_("This ban or time-out no longer exists."))
    session.add(
        ModerationAction(
            actor_id=operator.id,
            store_id=restriction.store_id,
            action=f"lift_{restriction.kind}",
            target_user_id=restriction.user_id,
        )
    )
    await session.delete(restriction)
    return restriction.user_id


@routes.get("/ops/moderation", name="moderation_dashboard")
async def dashboard(request: web.Request) -> web.Response:
    require_user(request, Role.OPERATOR)
    async with request.app[keys.sessionmaker]() as session:
        live = await shows.shows_in_state(session, ShowState.LIVE, limit=50)
        audit = await recent_actions(session)
        restrictions = await restrictions_in_force(session)
    gettext = translations(request).gettext
    sentences = [describe(a.action, a.target, a.detail, gettext) for a in audit]
    return render(
        request,
        "chat/dashboard.html",
        {
            "live": live,
            "audit": list(zip(audit, sentences, strict=True)),
            "restrictions": restrictions,
        },
    )


@routes.post("/ops/moderation/restrictions/{restriction_id:\\d+}/lift")
async def lift_restriction(request: web.Request) -> web.StreamResponse:
    operator = require_user(request, Role.OPERATOR)
    async with request.app[keys.sessionmaker].begin() as session:
        user_id = await lift(session, operator, int(request.match_info["restriction_id"]))
    # This process's cache of who may post forgets the user at once; others refresh.
    request.app[keys.chat_posting].forget_user(user_id)
    return redirect("/ops/moderation?flash=saved")
