"""A merchant's first show in ten minutes, the first half: the welcome, signing up with
the store and its market, and three products from the phone."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from server import keys
from server.accounts.models import Role
from server.errors import N_, DomainError
from server.http import form_str, locale_of, redirect, render, require_user, translations
from server.limits import is_whole
from server.markets import service as markets
from server.media import save_image
from server.onboarding import guide, signup
from server.onboarding.errors import BadGuideInput
from server.security import current_user

routes = web.RouteTableDef()


def error_context(request: web.Request, exc: DomainError) -> dict[str, Any]:
    return {
        "error": exc.translate(translations(request).gettext),
        "error_field": getattr(exc, "field", ""),
    }


@routes.get("/start", name="start")
async def start(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    if user is None:
        return render(request, "onboarding/welcome.html")
    if user.role is not Role.MERCHANT:
        return redirect("/")
    async with request.app[keys.sessionmaker]() as session:
        progress = await guide.progress(session, user, request.app[keys.store_products])
    return render(request, "onboarding/overview.html", {"progress": progress})


async def _signup_page(
    request: web.Request,
    form: dict[str, str],
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    async with request.app[keys.sessionmaker]() as session:
        all_markets = await markets.all_markets(session)
    context: dict[str, Any] = {"form": form, "markets": markets.by_province(all_markets)}
    context.update(extra or {})
    return render(request, "onboarding/signup.html", context, status=status)


@routes.get("/start/signup", name="start_signup")
async def signup_page(request: web.Request) -> web.Response:
    return await _signup_page(request, {})


@routes.post("/start/signup")
async def signup_submit(request: web.Request) -> web.Response:
    form = await request.post()
    fields = ("display_name", "email", "store_name", "market_id")
    values = {k: form_str(form, k) for k in fields}
    raw_market = values["market_id"]
    try:
        if not (raw_market == "none" or is_whole(raw_market)):
            raise BadGuideInput(N_("Choose your market, or “not in a market”."), field="market_id")
        async with request.app[keys.sessionmaker].begin() as session:
            await signup.sign_up(
                session,
                email=values["email"],
                password=form_str(form, "password"),
                display_name=values["display_name"],
                store_name=values["store_name"],
                market_id=int(raw_market) if is_whole(raw_market) else None,
                locale=locale_of(request),
            )
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        return await _signup_page(request, values, error_context(request, exc), exc.status)
    return render(request, "onboarding/pending.html")


def parse_price(raw: str) -> int:
    """Won as a merchant types it on the number pad, with or without commas."""
    text = re.sub(r"[\s,원₩]", "", raw)
    if not is_whole(text) or int(text) <= 0:
        raise BadGuideInput(N_("Write the price in won, numbers only (e.g. 15000)."), field="price")
    return int(text)


def parse_stock(raw: str) -> int:
    text = raw.strip() or "0"
    if not is_whole(text):
        raise BadGuideInput(N_("Write how many you have, numbers only."), field="stock")
    return int(text)


async def _products_page(
    request: web.Request, extra: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    user = require_user(request, Role.MERCHANT)
    async with request.app[keys.sessionmaker]() as session:
        added = await request.app[keys.store_products](session, [user.store_id or -1], 50)
    context: dict[str, Any] = {
        "added": added,
        "wanted": guide.PRODUCTS_WANTED,
        "form": {},
    }
    context.update(extra or {})
    return render(request, "onboarding/products.html", context, status=status)


@routes.get("/start/products", name="start_products")
async def products_page(request: web.Request) -> web.Response:
    return await _products_page(request)


@routes.post("/start/products")
async def add_product(request: web.Request) -> web.Response:
    user = require_user(request, Role.MERCHANT)
    form = await request.post()
    photo = form.get("photo")
    try:
        price = parse_price(form_str(form, "price"))
        stock = parse_stock(form_str(form, "stock"))
        image = None
        if isinstance(photo, FileField) and photo.filename:
            image = await save_image(
                request.app[keys.settings].data_dir, photo.file.read(), "products", field="photo"
            )
        async with request.app[keys.sessionmaker].begin() as session:
            await request.app[keys.quick_product](
                session,
                user,
                user.store_id or -1,
                name=form_str(form, "name"),
                price=price,
                stock=stock,
                image_path=image,
            )
    except DomainError as exc:
        if exc.status != 422:
            raise
        values = {k: form_str(form, k) for k in ("name", "price", "stock")}
        return await _products_page(
            request, {**error_context(request, exc), "form": values}, exc.status
        )
    return await _products_page(request, {"saved": True})
