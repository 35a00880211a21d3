"""Sign-up, sign-in, sign-out, language choice, and the operator's account console."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server import keys
from server.accounts import service
from server.accounts.errors import TooManyAttempts
from server.accounts.models import AccountStatus, Role
from server.errors import DomainError
from server.http import (
    form_str,
    locale_of,
    redirect,
    render,
    require_user,
    safe_next,
    translations,
)
from server.i18n import LOCALE_COOKIE, LOCALES
from server.limits import is_whole
from server.proxies import request_client_address
from server.security import current_user, end_session, set_cookie, start_session
from server.shows import service as shows

routes = web.RouteTableDef()

SIGN_UP_KINDS = {"shopper": Role.SHOPPER, "merchant": Role.MERCHANT, "creator": Role.CREATOR}


def _form_error(
    request: web.Request,
    template: str,
    exc: DomainError,
    form: Any,
    extra: dict[str, Any] | None = None,
) -> web.Response:
    context = {
        "error": exc.translate(translations(request).gettext),
        "error_field": getattr(exc, "field", ""),
        "form": {k: v for k, v in form.items() if k not in ("password", "_csrf")},
    }
    context.update(extra or {})
    return render(request, template, context, status=exc.status)


@routes.get("/signup", name="signup")
async def signup_page(request: web.Request) -> web.Response:
    kind = request.query.get("as", "shopper")
    return render(
        request,
        "accounts/signup.html",
        {"kind": kind if kind in SIGN_UP_KINDS else "shopper", "form": {}},
    )


@routes.post("/signup")
async def signup(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    kind = form_str(form, "kind", "shopper")
    role = SIGN_UP_KINDS.get(kind, Role.SHOPPER)
    locale = locale_of(request)
    email, password = form_str(form, "email"), form_str(form, "password")
    name = form_str(form, "display_name")
    try:
        async with request.app[keys.sessionmaker].begin() as session:
            if role is Role.MERCHANT:
                user = await service.sign_up_merchant(
                    session,
                    email=email,
                    password=password,
                    display_name=name,
                    locale=locale,
                    store_name=form_str(form, "store_name"),
                    market=form_str(form, "market"),
                    region=form_str(form, "region"),
                )
            else:
                user = await service.create_user(
                    session,
                    email=email,
                    password=password,
                    display_name=name,
                    role=role,
                    locale=locale,
                )
            token = await service.open_session(session, user, 1) if user.is_active else None
    except DomainError as exc:
        return _form_error(request, "accounts/signup.html", exc, form, {"kind": kind})
    if token is None:
        return render(request, "accounts/pending.html", {"kind": kind})
    response = redirect("/")
    start_session(response, request, token)
    return response


@routes.get("/login", name="login")
async def login_page(request: web.Request) -> web.Response:
    return render(
        request,
        "accounts/login.html",
        {"form": {}, "next": safe_next(request.query.get("next", "/"))},
    )


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email = service.normalise_email(form_str(form, "email"))
    next_url = safe_next(form_str(form, "next", "/"))
    throttle = request.app[keys.login_throttle]
    address = request_client_address(request)
    try:
        # Counted before the password is checked, so parallel guesses cannot slip past.
        wait = await throttle.claim(address, email)
        if wait:
            raise TooManyAttempts(seconds=wait)
        async with request.app[keys.sessionmaker].begin() as session:
            user = await service.authenticate(session, email, form_str(form, "password"))
            days = request.app[keys.settings].session_days
            token = await service.open_session(session, user, days)
    except DomainError as exc:
        answer = _form_error(request, "accounts/login.html", exc, form, {"next": next_url})
        if isinstance(exc, TooManyAttempts):
            answer.headers["Retry-After"] = str(exc.params["seconds"])
        return answer
    await throttle.succeeded(address, email)
    response = redirect(next_url)
    start_session(response, request, token)
    return response


@routes.post("/logout", name="logout")
async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get("jt_session")
    if token:
        async with request.app[keys.sessionmaker].begin() as session:
            await service.close_session(session, token)
    response = redirect("/")
    end_session(response, request)
    return response


@routes.post("/lang", name="lang")
async def switch_language(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    locale = form_str(form, "locale")
    if locale not in LOCALES:
        locale = request.app[keys.settings].default_locale
    user = current_user(request)
    if user is not None:
        async with request.app[keys.sessionmaker].begin() as session:
            stored = await service.get_user(session, user.id)
            stored.locale = locale
    response = redirect(safe_next(form_str(form, "next", "/")))
    set_cookie(response, request, LOCALE_COOKIE, locale, max_age=365 * 86400)
    return response


# --- operator console -------------------------------------------------------------------


@routes.get("/ops", name="ops")
async def operator_console(request: web.Request) -> web.Response:
    require_user(request, Role.OPERATOR)
    async with request.app[keys.sessionmaker]() as session:
        pending = await service.pending_accounts(session)
        users = await service.list_users(session)
        stores = await service.list_stores(session)
        all_shows = await shows.all_shows(session)
        assignments = {s.id: await service.creators_of_store(session, s.id) for s in stores}
    return render(
        request,
        "accounts/ops.html",
        {
            "pending": pending,
            "users": users,
            "stores": stores,
            "shows": all_shows,
            "assignments": assignments,
            "creators": [u for u in users if u.role is Role.CREATOR and u.is_active],
            "store_names": {s.id: s.name for s in stores},
        },
    )


_STATUS_ACTIONS = {
    "approve": AccountStatus.ACTIVE,
    "reject": AccountStatus.REJECTED,
    "suspend": AccountStatus.SUSPENDED,
}


@routes.post("/ops/accounts/{user_id:\\d+}/{action:approve|reject|suspend}")
async def change_account(request: web.Request) -> web.StreamResponse:
    operator = require_user(request, Role.OPERATOR)
    user_id = int(request.match_info["user_id"])
    if user_id == operator.id:
        raise web.HTTPSeeOther("/ops")
    async with request.app[keys.sessionmaker].begin() as session:
        await service.set_status(session, user_id, _STATUS_ACTIONS[request.match_info["action"]])
    return redirect("/ops?flash=saved")


@routes.post("/ops/assignments")
async def assign_creator(request: web.Request) -> web.StreamResponse:
    require_user(request, Role.OPERATOR)
    form = await request.post()
    creator = form_str(form, "creator_id")
    store = form_str(form, "store_id")
    if not (is_whole(creator) and is_whole(store)):
        raise web.HTTPSeeOther("/ops")
    async with request.app[keys.sessionmaker].begin() as session:
        if form_str(form, "remove"):
            await service.unassign_creator(session, int(creator), int(store))
        else:
            await service.assign_creator(session, int(creator), int(store))
    return redirect("/ops?flash=saved")
