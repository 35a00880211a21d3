"""The JSON API for accounts and shows. Other packages add their own /api routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from sqlalchemy import text

from server import keys
from server.accounts import service as accounts
from server.accounts.models import Role, Store, User
from server.errors import N_, Forbidden, Invalid
from server.http import json_response, read_json, require_user
from server.inputs import (
    WrongType,
    refuse_date,
    route_id,
    strict_id,
    strict_ids,
    strict_int,
    strict_text,
    within_years,
)
from server.openapi import build_spec, documented
from server.security import current_user
from server.shows import service
from server.shows.models import MAX_DURATION_MINUTES, Show, ShowState

routes = web.RouteTableDef()

SHOW_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "state": {"type": "string", "enum": [s.value for s in ShowState]},
        "scheduled_start": {"type": "string", "format": "date-time"},
        "duration_minutes": {"type": "integer"},
        "started_at": {"type": ["string", "null"], "format": "date-time"},
        "ended_at": {"type": ["string", "null"], "format": "date-time"},
        "store": {"type": "object"},
        "creators": {"type": "array"},
        "url": {"type": "string"},
    },
}
SHOW_INPUT = {
    "type": "object",
    "properties": {
        "store_id": {"type": "integer"},
        "title": {"type": "string", "maxLength": 120},
        "description": {"type": "string"},
        "scheduled_start": {"type": "string", "format": "date-time"},
        "duration_minutes": {"type": "integer", "minimum": 5},
        "creator_ids": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["title", "scheduled_start"],
}


def store_json(store: Store) -> dict[str, Any]:
    return {
        "id": store.id,
        "name": store.name,
        "slug": store.slug,
        "description": store.description,
        "market": store.market,
        "region": store.region,
        "refund_policy": store.refund_policy,
        "logo_url": f"/media/{store.logo_path}" if store.logo_path else None,
    }


def show_json(show: Show) -> dict[str, Any]:
    return {
        "id": show.id,
        "title": show.title,
        "description": show.description,
        "state": show.state.value,
        "scheduled_start": show.scheduled_start.isoformat(),
        "duration_minutes": show.duration_minutes,
        "started_at": show.started_at.isoformat() if show.started_at else None,
        "ended_at": show.ended_at.isoformat() if show.ended_at else None,
        "cover_url": f"/media/{show.cover_path}" if show.cover_path else None,
        "store": {"id": show.store.id, "name": show.store.name, "slug": show.store.slug},
        "creators": [{"id": c.id, "display_name": c.display_name} for c in show.creators],
        "url": f"/shows/{show.id}",
        "approval": show.approval.value,
        "operator_note": show.operator_note,
    }


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role.value,
        "status": user.status.value,
        "store_id": user.store_id,
        "locale": user.locale,
    }


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return json_response(build_spec(request.app, request.app[keys.settings].public_url))


@routes.get("/api/me")
@documented(
    "The signed-in account",
    responses={200: "The account", 401: "Not signed in"},
    tags=("accounts",),
    auth="any signed-in user",
)
async def me(request: web.Request) -> web.Response:
    return json_response(user_json(require_user(request)))


@routes.get("/api/shows")
@documented(
    "Shows, optionally by state (?state=live|scheduled|ended|cancelled)",
    responses={200: "A list of shows", 422: "Unknown state"},
    tags=("shows",),
    response_schema={"type": "array", "items": SHOW_SCHEMA},
)
async def list_shows(request: web.Request) -> web.Response:
    raw = request.query.get("state", "")
    async with request.app[keys.sessionmaker]() as session:
        if raw:
            try:
                state = ShowState(raw)
            except ValueError:
                raise Invalid(
                    N_("Unknown show state %(state)s."), field="state", state=raw
                ) from None
            found = await service.shows_in_state(
                session, state, limit=100, newest_first=state is ShowState.ENDED
            )
        else:
            found = await service.all_shows(session, limit=100, public_only=True)
    return json_response([show_json(s) for s in found])


@routes.get("/api/shows/{show_id:\\d+}")
@documented(
    "One show",
    responses={200: "The show", 404: "No such show"},
    tags=("shows",),
    response_schema=SHOW_SCHEMA,
)
async def get_show(request: web.Request) -> web.Response:
    async with request.app[keys.sessionmaker]() as session:
        show = await service.get_visible_show(
            session, current_user(request), route_id(request, "show_id")
        )
    return json_response(show_json(show))


def _parse_start(raw: Any) -> dt.datetime:
    if not isinstance(raw, str):
        raise WrongType(
            N_("scheduled_start must be an ISO 8601 time with a zone."), field="scheduled_start"
        )
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid(
            N_("scheduled_start must be an ISO 8601 time with a zone."), field="scheduled_start"
        ) from None
    if value.tzinfo is None:
        raise Invalid(
            N_("scheduled_start must be an ISO 8601 time with a zone."), field="scheduled_start"
        )
    if not within_years(value):
        refuse_date("scheduled_start")
    return value


def _show_input(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": strict_text(data, "title"),
        "description": strict_text(data, "description"),
        "scheduled_start": _parse_start(data.get("scheduled_start")),
        "duration_minutes": strict_int(
            data.get("duration_minutes", 60), "duration_minutes", 5, MAX_DURATION_MINUTES
        ),
        "creator_ids": strict_ids(data.get("creator_ids", []), "creator_ids"),
    }


@routes.post("/api/shows")
@documented(
    "Plan a show for a store",
    request_body=SHOW_INPUT,
    response_schema=SHOW_SCHEMA,
    responses={201: "Created", 401: "Not signed in", 403: "Not your store", 422: "Invalid input"},
    tags=("shows",),
    auth="the store's merchant or an operator; X-CSRF-Token",
)
async def create_show(request: web.Request) -> web.Response:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    data = await read_json(request)
    store_id = strict_id(data.get("store_id", user.store_id), "store_id")
    fields = _show_input(data)
    async with request.app[keys.sessionmaker].begin() as session:
        show = await service.create_show(session, user, store_id=store_id, **fields)
    return json_response(show_json(show), status=201)


@routes.patch("/api/shows/{show_id:\\d+}")
@documented(
    "Change a scheduled show",
    request_body=SHOW_INPUT,
    response_schema=SHOW_SCHEMA,
    responses={
        200: "Changed",
        401: "Not signed in",
        403: "Not your store",
        404: "No such show",
        422: "Invalid input or not scheduled",
    },
    tags=("shows",),
    auth="the store's merchant or an operator; X-CSRF-Token",
)
async def update_show(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await read_json(request)
    async with request.app[keys.sessionmaker].begin() as session:
        show = await service.get_show(session, route_id(request, "show_id"))
        if not service.can_manage(user, show):
            raise Forbidden(N_("You can only change shows of your own store."))
        merged = {
            "title": show.title,
            "description": show.description,
            "scheduled_start": show.scheduled_start.isoformat(),
            "duration_minutes": show.duration_minutes,
            "creator_ids": [c.id for c in show.creators],
            **data,
        }
        show = await service.update_show(session, user, show, **_show_input(merged))
    return json_response(show_json(show))


@routes.post("/api/shows/{show_id:\\d+}/{action:start|end|cancel}")
@documented(
    "Move a show: start (go live), end, or cancel (with an optional reason)",
    response_schema=SHOW_SCHEMA,
    responses={
        200: "Moved",
        401: "Not signed in",
        403: "Not allowed",
        404: "No such show",
        409: "Not allowed from the show's state",
    },
    tags=("shows",),
    auth="presenters start and end; managers cancel; X-CSRF-Token",
)
async def show_transition(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await read_json(request) if request.can_read_body else {}
    reason = strict_text(data, "reason")
    async with request.app[keys.sessionmaker].begin() as session:
        show = await service.get_show(session, route_id(request, "show_id"))
        await service.transition(
            session,
            user,
            show,
            request.match_info["action"],
            reason=reason,
        )
    await service.announce_state(request.app[keys.live_events], show)
    return json_response(show_json(show))


@routes.get("/api/stores")
@documented(
    "All stores", tags=("stores",), response_schema={"type": "array", "items": {"type": "object"}}
)
async def list_stores(request: web.Request) -> web.Response:
    async with request.app[keys.sessionmaker]() as session:
        stores = await accounts.list_stores(session)
    return json_response([store_json(s) for s in stores])


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    try:
        async with request.app[keys.engine].connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not healthy"
        return json_response({"status": "error", "database": str(exc)[:200]}, status=503)
    user = current_user(request)
    return json_response({"status": "ok", "database": "ok", "signed_in": user is not None})
