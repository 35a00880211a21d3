"""Remind me, the notification list, and calendar (.ics) files for shows."""

from __future__ import annotations

import datetime as dt

from aiohttp import web
from icalendar import Calendar, Event

from server import keys
from server.errors import N_, Conflict
from server.http import form_str, redirect, render, require_user, translations
from server.notifications import service
from server.shows import service as shows
from server.shows.errors import ShowNotFound
from server.shows.models import ShowState

routes = web.RouteTableDef()


@routes.post("/shows/{show_id:\\d+}/remind", name="remind")
async def remind(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    show_id = int(request.match_info["show_id"])
    async with request.app[keys.sessionmaker].begin() as session:
        show = await shows.get_show(session, show_id)
        if form_str(form, "forget"):
            await service.forget_reminder(session, user, show_id)
        else:
            await service.remind_me(session, user, show)
    return redirect(f"/shows/{show_id}")


@routes.get("/notifications", name="notifications")
async def notification_list(request: web.Request) -> web.Response:
    user = require_user(request)
    gettext = translations(request).gettext
    async with request.app[keys.sessionmaker]() as session:
        items = await service.recent(session, user.id)
    rendered = [
        {
            "text": gettext(n.template) % n.params if n.params else gettext(n.template),
            "link": n.link,
            "created_at": n.created_at,
            "unread": n.read_at is None,
        }
        for n in items
    ]
    return render(request, "notifications.html", {"items": rendered})


@routes.post("/notifications/read")
async def read_all(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    async with request.app[keys.sessionmaker].begin() as session:
        await service.mark_all_read(session, user.id)
    return redirect("/notifications")


@routes.get("/shows/{show_id:\\d+}/calendar.ics", name="show_ics")
async def show_ics(request: web.Request) -> web.Response:
    async with request.app[keys.sessionmaker]() as session:
        show = await shows.get_show(session, int(request.match_info["show_id"]))
    if not show.is_public:
        raise ShowNotFound(show_id=show.id)
    if show.state is ShowState.CANCELLED:
        raise Conflict(N_("This show was cancelled."))
    settings = request.app[keys.settings]
    url = f"{settings.public_url}/shows/{show.id}"
    calendar = Calendar()
    calendar.add("prodid", "-//Jangteo Live//jangteo.kr//")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"show-{show.id}@{settings.public_url.split('://', 1)[-1]}")
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("dtstart", show.scheduled_start)
    event.add("dtend", show.scheduled_end)
    event.add("summary", f"{show.title} · {show.store.name}")
    event.add("description", f"{show.description}\n{url}".strip())
    event.add("url", url)
    calendar.add_component(event)
    return web.Response(
        body=calendar.to_ical(),
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="show-{show.id}.ics"'},
    )
