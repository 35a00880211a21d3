"""Reporting a show from the player or the replay, and the operators' queue."""

from __future__ import annotations

from aiohttp import web

from server import keys
from server.accounts.models import Role
from server.http import form_str, json_response, redirect, render, require_user
from server.trust import reports
from server.trust.models import REPORT_WORDS, ReportKind

routes = web.RouteTableDef()


@routes.post("/shows/{show_id:\\d{1,9}}/reports", name="report_show")
async def report_show(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    data = reports.ReportInput(
        kind=form_str(form, "kind"),
        details=form_str(form, "details"),
        offset_seconds=form_str(form, "offset_seconds"),
        during_replay=form_str(form, "during") == "replay",
    )
    async with request.app[keys.sessionmaker].begin() as session:
        item = await reports.report(session, user, int(request.match_info["show_id"]), data)
    if "application/json" in request.headers.get("Accept", ""):
        return json_response({"id": item.id, "offset_seconds": item.offset_seconds}, status=201)
    return redirect(f"/shows/{item.show_id}?flash=reported")


@routes.get("/ops/reports", name="ops_reports")
async def queue_page(request: web.Request) -> web.Response:
    user = require_user(request, Role.OPERATOR)
    resolved = request.query.get("resolved") == "1"
    async with request.app[keys.sessionmaker]() as session:
        items = await reports.queue(session, user, resolved=resolved)
    return render(
        request,
        "trust/ops_reports.html",
        {"items": items, "resolved": resolved, "report_words": REPORT_WORDS},
    )


@routes.post("/ops/reports/{report_id:\\d{1,9}}/resolve")
async def resolve(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.OPERATOR)
    form = await request.post()
    async with request.app[keys.sessionmaker].begin() as session:
        await reports.resolve(
            session, user, int(request.match_info["report_id"]), form_str(form, "note")
        )
    return redirect("/ops/reports?flash=saved")


# For the report form on the show page (the show view knows nothing of reports).
TEMPLATE_GLOBALS = {"report_kinds": [(k.value, REPORT_WORDS[k]) for k in ReportKind]}
