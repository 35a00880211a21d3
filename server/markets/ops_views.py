"""The operator's side of the directory: import markets from a CSV file, edit one market
(its photo, description, coordinates)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from server import keys
from server.accounts.models import Role
from server.errors import N_, DomainError
from server.http import form_str, redirect, render, require_user, translations
from server.markets import csv_import, service
from server.markets.csv_import import ImportFailed, Problem
from server.markets.errors import BadMarketInput
from server.markets.models import Market
from server.markets.regions import normalise_province
from server.media import save_image

routes = web.RouteTableDef()


async def _console(request: web.Request, extra: dict[str, Any], status: int = 200) -> web.Response:
    async with request.app[keys.sessionmaker]() as session:
        markets = await service.all_markets(session)
    context: dict[str, Any] = {"markets": markets, "report": None, "problems": []}
    context.update(extra)
    return render(request, "markets/ops.html", context, status=status)


@routes.get("/ops/markets", name="ops_markets")
async def markets_console(request: web.Request) -> web.Response:
    require_user(request, Role.OPERATOR)
    return await _console(request, {})


@routes.post("/ops/markets/import")
async def import_markets(request: web.Request) -> web.Response:
    require_user(request, Role.OPERATOR)
    form = await request.post()
    upload = form.get("file")
    data = upload.file.read() if isinstance(upload, FileField) else b""
    gettext = translations(request).gettext
    try:
        if not data:
            raise ImportFailed([Problem(0, "", N_("Choose a CSV file to import."))])
        async with request.app[keys.sessionmaker].begin() as session:
            report = await csv_import.import_markets(session, data)
    except ImportFailed as exc:
        problems = [
            {"line": p.line, "column": p.column, "message": p.translate(gettext)}
            for p in exc.problems
        ]
        return await _console(
            request,
            {"problems": problems, "error": exc.translate(gettext)},
            status=422,
        )
    return await _console(request, {"report": report})


@routes.get("/ops/markets/{market_id:\\d+}", name="ops_market")
async def market_form(request: web.Request) -> web.Response:
    require_user(request, Role.OPERATOR)
    async with request.app[keys.sessionmaker]() as session:
        market = await service.get_market_by_id(session, int(request.match_info["market_id"]))
    return render(request, "markets/edit.html", {"market": market})


def _apply(market: Market, form: Any) -> None:
    name, district = form_str(form, "name").strip(), form_str(form, "district").strip()
    province = normalise_province(form_str(form, "province"))
    if not 1 <= len(name) <= 120:
        raise BadMarketInput(N_("Enter a market name of 1 to 120 characters."), field="name")
    if province is None:
        raise BadMarketInput(N_("Choose a 시/도."), field="province")
    if not 1 <= len(district) <= 40:
        raise BadMarketInput(N_("Enter the 시/군/구."), field="district")
    market.name, market.province, market.district = name, province, district
    market.address = form_str(form, "address").strip()[:255]
    market.description = form_str(form, "description").strip()
    market.specialities = form_str(form, "specialities").strip()
    market.opening_days = form_str(form, "opening_days").strip()[:200]
    market.latitude = _degrees(form_str(form, "latitude"), "latitude", 33, 39)
    market.longitude = _degrees(form_str(form, "longitude"), "longitude", 124, 132)


def _degrees(raw: str, field: str, low: float, high: float) -> float | None:
    if not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise BadMarketInput(
            N_("Must lie between %(low)s and %(high)s (in Korea)."), field=field, low=low, high=high
        )
    return value


@routes.post("/ops/markets/{market_id:\\d+}")
async def save_market(request: web.Request) -> web.StreamResponse:
    require_user(request, Role.OPERATOR)
    market_id = int(request.match_info["market_id"])
    form = await request.post()
    photo = form.get("photo")
    try:
        path = None
        if isinstance(photo, FileField) and photo.filename:
            path = await save_image(
                request.app[keys.settings].data_dir, photo.file.read(), "markets"
            )
        async with request.app[keys.sessionmaker].begin() as session:
            market = await service.get_market_by_id(session, market_id)
            _apply(market, form)
            if path:
                market.photo_path = path
    except DomainError as exc:
        if exc.status != 422:
            raise
        async with request.app[keys.sessionmaker]() as session:
            market = await service.get_market_by_id(session, market_id)
        return render(
            request,
            "markets/edit.html",
            {"market": market, "error": exc.translate(translations(request).gettext)},
            status=422,
        )
    return redirect(f"/ops/markets/{market_id}?flash=saved")
