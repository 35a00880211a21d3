"""Show pages: home, show page, store page, merchant console, creator studio list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from server import keys
from server.accounts import service as accounts
from server.accounts.models import Role
from server.errors import N_, DomainError, Forbidden
from server.http import (
    form_ints,
    form_str,
    managed_store_id,
    redirect,
    render,
    require_user,
    translations,
)
from server.i18n import SEOUL, parse_seoul_input, to_seoul_input
from server.limits import is_whole
from server.media import save_image
from server.notifications import service as notifications
from server.shows import replay, service
from server.shows.errors import BadShowInput
from server.shows.models import Show, ShowState
from server.shows.replay import can_watch_replay

routes = web.RouteTableDef()


@routes.get("/", name="home")
async def home(request: web.Request) -> web.Response:
    async with request.app[keys.sessionmaker]() as session:
        live = await service.shows_in_state(session, ShowState.LIVE)
        upcoming = await service.shows_in_state(session, ShowState.SCHEDULED)
        recent = await service.shows_in_state(session, ShowState.ENDED, newest_first=True)
    return render(request, "home.html", {"live": live, "upcoming": upcoming, "recent": recent})


@routes.get("/shows/{show_id:\\d+}", name="show")
async def show_page(request: web.Request) -> web.Response:
    user = request.get(keys.request_user)
    async with request.app[keys.sessionmaker]() as session:
        show = await service.get_visible_show(session, user, int(request.match_info["show_id"]))
        reminded = user is not None and await notifications.has_reminder(session, user.id, show.id)
        replay_data = (
            await _replay_data(request, session, show) if can_watch_replay(user, show) else None
        )
    return render(
        request,
        "shows/show.html",
        {
            "show": show,
            "can_present": service.can_present(user, show),
            "can_manage": service.can_manage(user, show),
            "is_operator": user is not None and user.role is Role.OPERATOR,
            "reminded": reminded,
            "replay": replay_data,
        },
    )


async def _replay_data(request: web.Request, session: Any, show: Show) -> dict[str, Any]:
    chat_source = request.app.get(keys.replay_chat)
    found = await replay.replay_of(session, show.id)
    return {
        "moments": [m.as_json() for m in found.moments],
        "pins": [p.as_json() for p in found.pins],
        "messages": await chat_source(session, show.id) if chat_source else [],
    }


@routes.post("/shows/{show_id:\\d+}/replay", name="replay_visibility")
async def replay_visibility(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    async with request.app[keys.sessionmaker].begin() as session:
        show = await service.get_show(session, int(request.match_info["show_id"]))
        if not service.can_manage(user, show):
            raise Forbidden(N_("You can only change shows of your own store."))
        show.replay_hidden = form_str(form, "hidden") == "1"
    return redirect(f"/shows/{show.id}?flash=saved")


@routes.get("/stores/{slug}", name="store")
async def store_page(request: web.Request) -> web.Response:
    async with request.app[keys.sessionmaker]() as session:
        store = await accounts.get_store_by_slug(session, request.match_info["slug"])
        store_shows = await service.shows_of_store(session, store.id)
    user = request.get(keys.request_user)
    visible = [
        s for s in store_shows if s.state is not ShowState.CANCELLED and service.may_view(user, s)
    ]
    return render(request, "shows/store.html", {"store": store, "shows": visible})


# --- merchant console --------------------------------------------------------------------


@routes.get("/merchant", name="merchant")
async def merchant_console(request: web.Request) -> web.Response:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    store_id = managed_store_id(request, user)
    async with request.app[keys.sessionmaker]() as session:
        store = await accounts.get_store(session, store_id)
        store_shows = await service.shows_of_store(session, store_id)
        creators = await accounts.creators_of_store(session, store_id)
    return render(
        request, "shows/merchant.html", {"store": store, "shows": store_shows, "creators": creators}
    )


@routes.post("/merchant/store")
async def edit_store(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    store_id = managed_store_id(request, user)
    form = await request.post()
    try:
        logo = await _upload(request, form, "logo", "stores")
        async with request.app[keys.sessionmaker].begin() as session:
            store = await accounts.get_store(session, store_id)
            await accounts.update_store(
                session,
                store,
                name=form_str(form, "name"),
                description=form_str(form, "description"),
                market=form_str(form, "market"),
                region=form_str(form, "region"),
                refund_policy=form_str(form, "refund_policy"),
            )
            if logo:
                store.logo_path = logo
    except DomainError as exc:
        if exc.status != 422:
            raise
        async with request.app[keys.sessionmaker]() as session:
            store = await accounts.get_store(session, store_id)
            store_shows = await service.shows_of_store(session, store_id)
            creators = await accounts.creators_of_store(session, store_id)
        return render(
            request,
            "shows/merchant.html",
            {
                "store": store,
                "shows": store_shows,
                "creators": creators,
                "error": exc.translate(translations(request).gettext),
            },
            status=exc.status,
        )
    suffix = f"&store={store_id}" if user.role is Role.OPERATOR else ""
    return redirect(f"/merchant?flash=saved{suffix}")


async def _upload(
    request: web.Request, form: MultiDictProxy[Any], name: str, folder: str
) -> str | None:
    upload = form.get(name)
    # A browser sends an empty file part when nothing was chosen.
    if not isinstance(upload, FileField) or not upload.filename:
        return None
    data = upload.file.read()
    return await save_image(request.app[keys.settings].data_dir, data, folder, field=name)


def _show_fields(form: MultiDictProxy[Any]) -> dict[str, Any]:
    start = parse_seoul_input(form_str(form, "scheduled_start"))
    if start is None:
        raise BadShowInput(N_("Enter the start date and time."), field="scheduled_start")
    duration = form_str(form, "duration_minutes", "60")
    if not is_whole(duration):
        raise BadShowInput(
            N_("A show lasts between 5 and %(max)d minutes."),
            field="duration_minutes",
            max=service.MAX_DURATION_MINUTES,
        )
    return {
        "title": form_str(form, "title"),
        "description": form_str(form, "description"),
        "scheduled_start": start,
        "duration_minutes": int(duration),
        "creator_ids": form_ints(form, "creator_ids"),
    }


def _form_values(show: Show | None) -> dict[str, Any]:
    if show is None:
        start = (dt.datetime.now(SEOUL) + dt.timedelta(days=1)).replace(
            hour=19, minute=0, second=0, microsecond=0
        )
        return {"scheduled_start": to_seoul_input(start), "duration_minutes": 60, "creator_ids": []}
    return {
        "title": show.title,
        "description": show.description,
        "scheduled_start": to_seoul_input(show.scheduled_start),
        "duration_minutes": show.duration_minutes,
        "creator_ids": [c.id for c in show.creators],
    }


@routes.get("/stores/{store_id:\\d+}/shows/new", name="new_show")
async def new_show_page(request: web.Request) -> web.Response:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    store_id = int(request.match_info["store_id"])
    async with request.app[keys.sessionmaker]() as session:
        if not service.can_manage(user, Show(store_id=store_id)):
            raise Forbidden(N_("You can only plan shows for your own store."))
        store = await accounts.get_store(session, store_id)
        creators = await accounts.creators_of_store(session, store_id)
    return render(
        request,
        "shows/edit.html",
        {"store": store, "show": None, "creators": creators, "form": _form_values(None)},
    )


@routes.post("/stores/{store_id:\\d+}/shows/new")
async def create_show(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    store_id = int(request.match_info["store_id"])
    if not service.can_manage(user, Show(store_id=store_id)):
        raise Forbidden(N_("You can only plan shows for your own store."))
    form = await request.post()
    try:
        fields = _show_fields(form)
        cover = await _upload(request, form, "cover", "shows")
        async with request.app[keys.sessionmaker].begin() as session:
            show = await service.create_show(
                session, user, store_id=store_id, cover_path=cover, **fields
            )
    except BadShowInput as exc:
        return await _show_form_error(request, store_id, None, form, exc)
    except DomainError as exc:
        if exc.status != 422:
            raise
        return await _show_form_error(request, store_id, None, form, exc)
    return redirect(f"/shows/{show.id}?flash=saved")


async def _show_form_error(
    request: web.Request,
    store_id: int,
    show: Show | None,
    form: MultiDictProxy[Any],
    exc: DomainError,
) -> web.Response:
    """The form again, with the error and everything the user typed."""
    async with request.app[keys.sessionmaker]() as session:
        store = await accounts.get_store(session, store_id)
        creators = await accounts.creators_of_store(session, store_id)
    values: dict[str, Any] = {
        k: form_str(form, k)
        for k in ("title", "description", "scheduled_start", "duration_minutes")
    }
    values["creator_ids"] = form_ints(form, "creator_ids")
    return render(
        request,
        "shows/edit.html",
        {
            "store": store,
            "show": show,
            "creators": creators,
            "form": values,
            "error": exc.translate(translations(request).gettext),
            "error_field": getattr(exc, "field", ""),
        },
        status=exc.status,
    )


@routes.get("/shows/{show_id:\\d+}/edit", name="edit_show")
async def edit_show_page(request: web.Request) -> web.Response:
    user = require_user(request)
    async with request.app[keys.sessionmaker]() as session:
        show = await service.get_show(session, int(request.match_info["show_id"]))
        if not service.can_manage(user, show):
            raise Forbidden(N_("You can only change shows of your own store."))
        creators = await accounts.creators_of_store(session, show.store_id)
    return render(
        request,
        "shows/edit.html",
        {"store": show.store, "show": show, "creators": creators, "form": _form_values(show)},
    )


@routes.post("/shows/{show_id:\\d+}/edit")
async def edit_show(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    show_id = int(request.match_info["show_id"])
    async with request.app[keys.sessionmaker]() as session:
        show = await service.get_show(session, show_id)
    if not service.can_manage(user, show):
        raise Forbidden(N_("You can only change shows of your own store."))
    form = await request.post()
    try:
        fields = _show_fields(form)
        cover = await _upload(request, form, "cover", "shows")
        async with request.app[keys.sessionmaker].begin() as session:
            show = await service.get_show(session, show_id)
            await service.update_show(session, user, show, cover_path=cover, **fields)
    except DomainError as exc:
        if exc.status != 422:
            raise
        return await _show_form_error(request, show.store_id, show, form, exc)
    return redirect(f"/shows/{show_id}?flash=saved")


@routes.post("/shows/{show_id:\\d+}/{action:cancel|end}", name="show_action")
async def show_action(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    async with request.app[keys.sessionmaker].begin() as session:
        show = await service.get_show(session, int(request.match_info["show_id"]))
        await service.transition(
            session, user, show, request.match_info["action"], reason=form_str(form, "reason")
        )
    await service.announce_state(request.app[keys.live_events], show)
    return redirect(f"/shows/{show.id}?flash=saved")


# --- creator studio list ------------------------------------------------------------------


@routes.get("/studio", name="studio_list")
async def studio_list(request: web.Request) -> web.Response:
    user = require_user(request, Role.CREATOR, Role.MERCHANT, Role.OPERATOR)
    async with request.app[keys.sessionmaker]() as session:
        if user.role is Role.CREATOR:
            my_shows = await service.shows_of_creator(session, user.id)
        elif user.role is Role.MERCHANT and user.store_id is not None:
            my_shows = await service.shows_of_store(session, user.store_id)
        else:
            my_shows = await service.all_shows(session)
    return render(request, "shows/studio_list.html", {"shows": my_shows})


@routes.get("/studio/shows/{show_id:\\d+}", name="studio")
async def studio_page(request: web.Request) -> web.Response:
    user = require_user(request)
    async with request.app[keys.sessionmaker]() as session:
        show = await service.get_show(session, int(request.match_info["show_id"]))
    if not service.can_present(user, show):
        raise Forbidden(
            N_("Only this show's creators, its merchant and operators can open its studio.")
        )
    return render(request, "shows/studio.html", {"show": show})
