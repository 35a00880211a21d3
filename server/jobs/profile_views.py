"""Creators' public profiles, finding a creator, and a creator editing their own."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server import keys
from server.accounts.models import Role
from server.errors import DomainError
from server.http import form_str, redirect, render, require_user, translations
from server.jobs import profiles
from server.jobs.models import CrewRole
from server.jobs.profiles import ProfileInput
from server.markets.regions import PROVINCES

routes = web.RouteTableDef()


@routes.get("/creators", name="creators")
async def find_creators(request: web.Request) -> web.Response:
    role = request.query.get("role", "")
    region = request.query.get("region", "")
    filters = {
        "role": role if role in CrewRole.__members__.values() else "",
        "region": region if region in PROVINCES else "",
    }
    async with request.app[keys.sessionmaker]() as session:
        found = await profiles.find_creators(session, **filters)
    return render(request, "jobs/creators.html", {"found": found, "filters": filters})


@routes.get("/creators/{user_id:\\d+}", name="creator_profile")
async def profile_page(request: web.Request) -> web.Response:
    sales = request.app[keys.figure_sources].sales
    async with request.app[keys.sessionmaker]() as session:
        shown = await profiles.public_profile(session, int(request.match_info["user_id"]), sales)
    return render(request, "jobs/profile.html", {"p": shown})


async def _edit_page(
    request: web.Request,
    form: dict[str, Any],
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    context = {"form": form}
    context.update(extra or {})
    return render(request, "jobs/profile_edit.html", context, status=status)


@routes.get("/profile", name="my_profile")
async def edit_profile_page(request: web.Request) -> web.Response:
    user = require_user(request, Role.CREATOR)
    async with request.app[keys.sessionmaker]() as session:
        profile = await profiles.get_profile(session, user.id)
    form: dict[str, Any] = {"roles": [], "regions": [], "languages": "한국어", "bio": ""}
    if profile is not None:
        form = {
            "roles": profile.roles,
            "regions": profile.regions,
            "languages": ", ".join(profile.languages),
            "bio": profile.bio,
        }
    return await _edit_page(request, form)


@routes.post("/profile")
async def save_profile(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.CREATOR)
    form = await request.post()
    data = ProfileInput(
        roles=[v for v in form.getall("roles", []) if isinstance(v, str)],
        regions=[v for v in form.getall("regions", []) if isinstance(v, str)],
        languages=form_str(form, "languages").split(","),
        bio=form_str(form, "bio"),
    )
    try:
        async with request.app[keys.sessionmaker].begin() as session:
            await profiles.save_profile(session, user, data)
    except DomainError as exc:
        if exc.status != 422:
            raise
        values = {
            "roles": list(data.roles),
            "regions": list(data.regions),
            "languages": form_str(form, "languages"),
            "bio": data.bio,
        }
        extra = {"error": exc.translate(translations(request).gettext)}
        return await _edit_page(request, values, extra, status=422)
    return redirect(f"/creators/{user.id}?flash=saved")
