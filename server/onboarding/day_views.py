"""A merchant's first show in ten minutes, the second half: a time (an open slot or a
request), someone to present it (a job, or inviting a creator), and the day-of checklist
with a private rehearsal. Operators open the slots here too."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from server import keys
from server.accounts.models import Role
from server.errors import DomainError
from server.http import form_str, redirect, render, require_user
from server.i18n import SEOUL, parse_seoul_input, to_seoul_input
from server.jobs import profiles
from server.limits import is_whole
from server.onboarding import guide, slots
from server.onboarding.views import error_context
from server.shows import service as shows

routes = web.RouteTableDef()


async def _slot_page(
    request: web.Request, extra: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    user = require_user(request, Role.MERCHANT)
    async with request.app[keys.sessionmaker]() as session:
        progress = await guide.progress(session, user, request.app[keys.store_products])
        free = await slots.free_slots(session)
    tomorrow = (dt.datetime.now(SEOUL) + dt.timedelta(days=1)).replace(
        hour=19, minute=0, second=0, microsecond=0
    )
    context: dict[str, Any] = {
        "progress": progress,
        "slots": free,
        "form": {"title": "", "scheduled_start": to_seoul_input(tomorrow)},
    }
    context.update(extra or {})
    return render(request, "onboarding/slot.html", context, status=status)


@routes.get("/start/slot", name="start_slot")
async def slot_page(request: web.Request) -> web.Response:
    return await _slot_page(request)


@routes.post("/start/slot/{how:take|request}")
async def book(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT)
    form = await request.post()
    title = form_str(form, "title")
    try:
        async with request.app[keys.sessionmaker].begin() as session:
            if request.match_info["how"] == "take":
                slot_id = form_str(form, "slot_id")
                await slots.take_slot(
                    session, user, int(slot_id) if is_whole(slot_id) else -1, title
                )
            else:
                start = parse_seoul_input(form_str(form, "scheduled_start"))
                await slots.request_time(session, user, title, start)
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        values = {"title": title, "scheduled_start": form_str(form, "scheduled_start")}
        return await _slot_page(
            request, {**error_context(request, exc), "form": values}, exc.status
        )
    return redirect("/start/crew")


@routes.get("/start/crew", name="start_crew")
async def crew_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT)
    async with request.app[keys.sessionmaker]() as session:
        progress = await guide.progress(session, user, request.app[keys.store_products])
        region = progress.market.province if progress.market else ""
        nearby = await profiles.find_creators(session, region=region)
    if progress.show is None:
        return redirect("/start/slot")
    return render(request, "onboarding/crew.html", {"progress": progress, "nearby": nearby[:12]})


@routes.get("/start/day", name="start_day")
async def day_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT)
    async with request.app[keys.sessionmaker]() as session:
        progress = await guide.progress(session, user, request.app[keys.store_products])
    if progress.show is None:
        return redirect("/start/slot")
    return render(
        request,
        "onboarding/day.html",
        {"progress": progress, "checklist": guide.CHECKLIST, "words": guide.CHECKLIST_WORDS},
    )


@routes.post("/start/day/tick")
async def tick(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT)
    form = await request.post()
    show_id = form_str(form, "show_id")
    async with request.app[keys.sessionmaker].begin() as session:
        # The same visibility rule as every route naming a show in its URL.
        show = await shows.get_visible_show(
            session, user, int(show_id) if is_whole(show_id) else -1
        )
        await guide.tick(session, user, show, form_str(form, "item"), form_str(form, "done") == "1")
    return redirect("/start/day")


# --- operators open slots ----------------------------------------------------------------


async def _ops_page(
    request: web.Request, extra: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    require_user(request, Role.OPERATOR)
    async with request.app[keys.sessionmaker]() as session:
        free = await slots.free_slots(session, limit=200)
    context: dict[str, Any] = {"slots": free, "form": {}}
    context.update(extra or {})
    return render(request, "onboarding/ops_slots.html", context, status=status)


@routes.get("/ops/slots", name="ops_slots")
async def ops_slots(request: web.Request) -> web.Response:
    return await _ops_page(request)


@routes.post("/ops/slots")
async def open_slot(request: web.Request) -> web.StreamResponse:
    operator = require_user(request, Role.OPERATOR)
    form = await request.post()
    start = parse_seoul_input(form_str(form, "starts_at"))
    duration = form_str(form, "duration_minutes", "60")
    try:
        async with request.app[keys.sessionmaker].begin() as session:
            await slots.open_slot(
                session,
                operator,
                start,
                int(duration) if is_whole(duration) else 0,
                form_str(form, "note"),
            )
    except DomainError as exc:
        if exc.status != 422:
            raise
        values = {k: form_str(form, k) for k in ("starts_at", "duration_minutes", "note")}
        return await _ops_page(request, {**error_context(request, exc), "form": values}, 422)
    return redirect("/ops/slots?flash=saved")


@routes.post("/ops/slots/{slot_id:\\d+}/close")
async def close_slot(request: web.Request) -> web.StreamResponse:
    operator = require_user(request, Role.OPERATOR)
    async with request.app[keys.sessionmaker].begin() as session:
        await slots.close_slot(session, operator, int(request.match_info["slot_id"]))
    return redirect("/ops/slots?flash=saved")
