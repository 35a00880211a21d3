"""The scheduling calendar (week and month), the public upcoming-by-day page, and the
operator's approve / decline / reschedule actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from server import keys
from server.accounts.models import Role, User
from server.errors import N_, DomainError, Invalid
from server.http import form_str, redirect, render, require_user, translations
from server.i18n import SEOUL, parse_seoul_input
from server.inputs import within_years
from server.limits import is_whole
from server.shows import scheduling, service
from server.shows.models import Show

routes = web.RouteTableDef()
UPCOMING_DAYS = 14


def _seoul_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=SEOUL).astimezone(dt.UTC)


def _parse_day(raw: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        day = None
    # A month view of year 9999 would run past the last date there is.
    return day if day is not None and within_years(day) else dt.datetime.now(SEOUL).date()


def calendar_days(view: str, anchor: dt.date) -> list[dt.date]:
    """The days a week (Monday first) or month view shows, whole weeks for a month."""
    if view == "month":
        first = anchor.replace(day=1)
        start = first - dt.timedelta(days=first.weekday())
        next_month = (first + dt.timedelta(days=32)).replace(day=1)
        last = next_month - dt.timedelta(days=1)
        end = last + dt.timedelta(days=6 - last.weekday())
    else:
        start = anchor - dt.timedelta(days=anchor.weekday())
        end = start + dt.timedelta(days=6)
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _by_day(shows: list[Show]) -> dict[dt.date, list[Show]]:
    days: dict[dt.date, list[Show]] = {}
    for show in shows:
        days.setdefault(show.effective_start.astimezone(SEOUL).date(), []).append(show)
    return days


def _scope(user: User) -> dict[str, Any]:
    if user.role is Role.OPERATOR:
        return {}
    if user.role is Role.MERCHANT:
        return {"store_id": user.store_id if user.store_id is not None else -1}
    return {"creator_id": user.id}


@routes.get("/calendar", name="calendar")
async def calendar(request: web.Request) -> web.Response:
    user = require_user(request, Role.OPERATOR, Role.MERCHANT, Role.CREATOR)
    view = "month" if request.query.get("view") == "month" else "week"
    anchor = _parse_day(request.query.get("date", ""))
    days = calendar_days(view, anchor)
    async with request.app[keys.sessionmaker]() as session:
        shows = await scheduling.shows_between(
            session,
            _seoul_midnight(days[0]),
            _seoul_midnight(days[-1] + dt.timedelta(days=1)),
            **_scope(user),
        )
        requests = await scheduling.pending_requests(session) if user.role is Role.OPERATOR else []
    step = dt.timedelta(days=28 if view == "month" else 7)
    if view == "month":
        previous = (anchor.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        following = (anchor.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    else:
        previous, following = anchor - step, anchor + step
    return render(
        request,
        "shows/calendar.html",
        {
            "view": view,
            "anchor": anchor,
            "days": days,
            "by_day": _by_day(shows),
            "clashes": scheduling.clashes_among(shows),
            "requests": requests,
            "previous": previous,
            "following": following,
            "today": dt.datetime.now(SEOUL).date(),
        },
    )


@routes.get("/upcoming", name="upcoming")
async def upcoming(request: web.Request) -> web.Response:
    today = dt.datetime.now(SEOUL).date()
    async with request.app[keys.sessionmaker]() as session:
        shows = await scheduling.shows_between(
            session,
            dt.datetime.now(dt.UTC) - dt.timedelta(hours=12),
            _seoul_midnight(today + dt.timedelta(days=UPCOMING_DAYS)),
            public_only=True,
        )
    return render(request, "shows/upcoming.html", {"by_day": _by_day(shows), "today": today})


@routes.post("/shows/{show_id:\\d+}/{action:approve|decline|reschedule}", name="schedule_action")
async def schedule_action(request: web.Request) -> web.StreamResponse:
    operator = require_user(request, Role.OPERATOR)
    form = await request.post()
    show_id = int(request.match_info["show_id"])
    action = request.match_info["action"]
    try:
        async with request.app[keys.sessionmaker].begin() as session:
            show = await service.get_show(session, show_id)
            if action == "approve":
                await scheduling.approve(session, operator, show)
            elif action == "decline":
                await scheduling.decline(session, operator, show, form_str(form, "reason"))
            else:
                start = parse_seoul_input(form_str(form, "scheduled_start"))
                duration = form_str(form, "duration_minutes")
                if start is None or not is_whole(duration):
                    raise Invalid(N_("Enter the start date and time."), field="scheduled_start")
                await scheduling.reschedule(
                    session, operator, show, start, int(duration), form_str(form, "reason")
                )
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        message = exc.translate(translations(request).gettext)
        async with request.app[keys.sessionmaker]() as session:
            show = await service.get_show(session, show_id)
        return render(
            request,
            "shows/show.html",
            {
                "show": show,
                "can_present": True,
                "can_manage": True,
                "is_operator": True,
                "reminded": False,
                "schedule_error": message,
                "replay": None,
            },
            status=exc.status,
        )
    return redirect(f"/shows/{show_id}?flash=saved")
