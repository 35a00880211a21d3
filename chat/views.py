"""The chat's HTTP side: the moderation audit log, for the show's staff."""

from __future__ import annotations

from aiohttp import web

from chat import errors
from chat import service as chat
from server import keys
from server.http import json_response, require_user
from server.openapi import documented
from server.shows.service import get_show

routes = web.RouteTableDef()

AUDIT_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "action": {"type": "string"},
            "actor_id": {"type": ["integer", "null"]},
            "target_user_id": {"type": ["integer", "null"]},
            "detail": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
        },
    },
}


@routes.get("/api/shows/{show_id:\\d+}/chat/moderation-log")
@documented(
    "Every chat moderation action on a show: who did what to whom, when",
    responses={
        200: "The log, oldest first",
        401: "Not signed in",
        403: "Not this show's staff",
        404: "No such show",
    },
    response_schema=AUDIT_SCHEMA,
    tags=("chat",),
    auth="the show's presenters, its store's moderators, operators",
)
async def moderation_log(request: web.Request) -> web.Response:
    user = require_user(request)
    viewer = chat.Chatter(
        user_id=user.id, name=user.display_name, role=user.role, store_id=user.store_id
    )
    async with request.app[keys.sessionmaker]() as session:
        show = await get_show(session, int(request.match_info["show_id"]))
        if not await chat.can_moderate(session, viewer, show):
            raise errors.NotModerator()
        rows = await chat.audit_log(session, show.id)
    return json_response(
        [
            {
                "action": r.action,
                "actor_id": r.actor_id,
                "target_user_id": r.target_user_id,
                "detail": r.detail,
                "at": r.created_at.isoformat(),
            }
            for r in rows
        ]
    )
