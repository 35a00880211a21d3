"""The market directory's pages: markets by region with Korean search, a market's page,
the visitor's region for "live near you", and the JSON search the pickers use."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from server import keys
from server.accounts.models import Role, Store, User
from server.errors import N_, DomainError
from server.http import (
    form_str,
    json_response,
    redirect,
    render,
    require_user,
    safe_next,
    translations,
)
from server.limits import is_whole
from server.markets import service
from server.markets.errors import BadMarketInput
from server.markets.models import Market
from server.markets.regions import PROVINCES
from server.openapi import documented
from server.security import set_cookie

routes = web.RouteTableDef()
REGION_COOKIE = "jt_region"
PRODUCTS_ON_PAGE = 12
# For the home page's strip (templates/markets/_live_near.html).
TEMPLATE_FILTERS = {"live_in_markets": service.live_near}
TEMPLATE_GLOBALS = {"provinces": PROVINCES}


def _filters(request: web.Request) -> dict[str, str]:
    province = request.query.get("province", "")
    return {
        "province": province if province in PROVINCES else "",
        "district": request.query.get("district", "").strip()[:40],
        "q": request.query.get("q", "").strip()[:60],
    }


@routes.get("/markets", name="markets")
async def directory_page(request: web.Request) -> web.Response:
    filters = _filters(request)
    async with request.app[keys.sessionmaker]() as session:
        listings = await service.directory(
            session,
            province=filters["province"],
            district=filters["district"],
            query=filters["q"],
        )
        regions = await service.regions(session)
    return render(
        request,
        "markets/directory.html",
        {"listings": listings, "regions": regions, "filters": filters},
    )


@routes.get("/markets/{slug}", name="market")
async def market_page(request: web.Request) -> web.Response:
    async with request.app[keys.sessionmaker]() as session:
        market = await service.get_market(session, request.match_info["slug"])
        page = await service.market_page(session, market)
        products = await request.app[keys.store_products](
            session, [s.id for s in page.stores], PRODUCTS_ON_PAGE
        )
    return render(request, "markets/market.html", {"page": page, "products": products})


@routes.post("/markets/region", name="my_region")
async def choose_region(request: web.Request) -> web.StreamResponse:
    """The visitor's 시/도, kept in a cookie: no account needed, nothing stored."""
    form = await request.post()
    province = form_str(form, "province")
    response = redirect(safe_next(form_str(form, "next", "/")))
    if province in PROVINCES:
        set_cookie(response, request, REGION_COOKIE, province, max_age=365 * 86400)
    else:
        response.del_cookie(REGION_COOKIE, path="/")
    return response


def _coordinate(raw: str, low: float, high: float) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if low <= value <= high else None


@routes.get("/markets-near", name="markets_near")
async def near_me(request: web.Request) -> web.StreamResponse:
    """From the phone's position (sent once, never stored): the nearest market's 시/도
    becomes the visitor's region, and they land on that market."""
    lat = _coordinate(request.query.get("lat", ""), -90, 90)
    lng = _coordinate(request.query.get("lng", ""), -180, 180)
    if lat is None or lng is None:
        return redirect("/markets")
    async with request.app[keys.sessionmaker]() as session:
        market = await service.nearest_market(session, lat, lng)
    if market is None:
        return redirect("/markets")
    response = redirect(f"/markets/{quote(market.slug)}")
    set_cookie(response, request, REGION_COOKIE, market.province, max_age=365 * 86400)
    return response


MARKET_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "slug": {"type": "string"},
        "province": {"type": "string", "description": "시/도, short form"},
        "district": {"type": "string", "description": "시/군/구"},
        "address": {"type": "string"},
        "specialities": {"type": "array", "items": {"type": "string"}},
        "opening_days": {"type": "string"},
        "latitude": {"type": ["number", "null"]},
        "longitude": {"type": ["number", "null"]},
        "stores": {"type": "integer"},
        "live": {"type": "integer"},
        "url": {"type": "string"},
    },
}


def market_json(market: Market, stores: int, live: int) -> dict[str, Any]:
    return {
        "id": market.id,
        "name": market.name,
        "slug": market.slug,
        "province": market.province,
        "district": market.district,
        "address": market.address,
        "specialities": market.speciality_list,
        "opening_days": market.opening_days,
        "latitude": market.latitude,
        "longitude": market.longitude,
        "stores": stores,
        "live": live,
        "url": f"/markets/{market.slug}",
    }


@routes.get("/api/markets")
@documented(
    "Search the market directory (Korean, initial consonants: ?q=ㅁㅇ finds 망원시장)",
    response_schema={"type": "array", "items": MARKET_SCHEMA},
    tags=("markets",),
)
async def search_api(request: web.Request) -> web.Response:
    filters = _filters(request)
    async with request.app[keys.sessionmaker]() as session:
        listings = await service.directory(
            session,
            province=filters["province"],
            district=filters["district"],
            query=filters["q"],
        )
    return json_response([market_json(x.market, x.stores, x.live) for x in listings])


# --- a merchant chooses their store's market ------------------------------------------------


async def _my_market_page(
    request: web.Request, user: User, extra: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    async with request.app[keys.sessionmaker]() as session:
        current = await service.market_of_store(session, user.store_id or -1)
        grouped = service.by_province(await service.all_markets(session))
    context: dict[str, Any] = {
        "markets": grouped,
        "current": current,
        "selected": str(current.id) if current else "none",
    }
    context.update(extra or {})
    return render(request, "markets/my_market.html", context, status=status)


@routes.get("/merchant/market", name="my_market")
async def my_market(request: web.Request) -> web.Response:
    user = require_user(request, Role.MERCHANT)
    return await _my_market_page(request, user)


@routes.post("/merchant/market")
async def choose_market(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT)
    form = await request.post()
    raw = form_str(form, "market_id")
    try:
        async with request.app[keys.sessionmaker].begin() as session:
            store = await session.get(Store, user.store_id or -1)
            if store is None:
                raise BadMarketInput(N_("Choose a market from the list."), field="market_id")
            await service.set_store_market(session, store, int(raw) if is_whole(raw) else None)
    except DomainError as exc:
        if exc.status != 422:
            raise
        error = {"error": exc.translate(translations(request).gettext)}
        return await _my_market_page(request, user, error, status=422)
    return redirect("/merchant/market?flash=saved")
