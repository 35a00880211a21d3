"""Analytics pages and CSV: per show, per store, and platform totals for operators."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aiohttp import web
from markupsafe import Markup

from server import keys
from server.accounts import service as accounts
from server.accounts.models import Role, User
from server.analytics.chart import viewers_chart
from server.analytics.stats import (
    ShowNumbers,
    grand_total,
    show_numbers,
    shows_with_numbers,
    totals_by_period,
)
from server.csv_export import csv_response
from server.errors import N_, Forbidden
from server.http import gettext, managed_store_id, render, require_user
from server.shows import service as shows

routes = web.RouteTableDef()
PERIODS = ("day", "week", "month")
CSV_COLUMNS = (
    N_("show"),
    N_("store"),
    N_("started"),
    N_("peak viewers"),
    N_("average viewers"),
    N_("unique viewers"),
    N_("watch minutes"),
    N_("chat messages"),
    N_("hearts"),
    N_("orders"),
    N_("revenue (KRW)"),
    N_("buyers"),
    N_("conversion %"),
)


async def _numbers(request: web.Request, show_list: Sequence[object]) -> list[ShowNumbers]:
    sources = request.app[keys.figure_sources]
    async with request.app[keys.sessionmaker]() as session:
        return await show_numbers(
            session,
            show_list,  # type: ignore[arg-type]
            sources.chat,
            sources.sales,
        )


def _chart(request: web.Request, n: ShowNumbers) -> Markup:
    svg = viewers_chart(
        n.series, n.markers, gettext(request, "Viewers over time"), gettext(request, "min")
    )
    return Markup(svg)  # noqa: S704 - built by viewers_chart, which escapes every text


def _csv(request: web.Request, rows: Iterable[ShowNumbers], filename: str) -> web.Response:
    return csv_response(
        filename,
        [gettext(request, c) for c in CSV_COLUMNS],
        (
            [
                n.show.title,
                n.show.store.name,
                n.show.started_at.isoformat() if n.show.started_at else "",
                n.peak_viewers,
                n.average_viewers,
                n.unique_viewers,
                round(n.watch_seconds / 60, 1),
                n.chat_messages,
                n.hearts,
                n.orders,
                n.revenue,
                n.buyers,
                round(n.conversion * 100, 1),
            ]
            for n in rows
        ),
    )


async def _managed_show(request: web.Request) -> tuple[User, object]:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    async with request.app[keys.sessionmaker]() as session:
        show = await shows.get_show(session, int(request.match_info["show_id"]))
    if not shows.can_manage(user, show):
        raise Forbidden(N_("You can only see the numbers of your own store."))
    return user, show


@routes.get("/shows/{show_id:\\d+}/analytics", name="show_analytics")
async def show_analytics(request: web.Request) -> web.Response:
    _, show = await _managed_show(request)
    (n,) = await _numbers(request, [show])
    return render(request, "analytics/show.html", {"n": n, "chart": _chart(request, n)})


@routes.get("/shows/{show_id:\\d+}/analytics.csv")
async def show_analytics_csv(request: web.Request) -> web.Response:
    _, show = await _managed_show(request)
    return _csv(request, await _numbers(request, [show]), f"show-{show.id}.csv")  # type: ignore[attr-defined]


@routes.get("/merchant/analytics", name="store_analytics")
async def store_analytics(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    store_id = managed_store_id(request, user)
    async with request.app[keys.sessionmaker]() as session:
        store = await accounts.get_store(session, store_id)
        store_shows = await shows_with_numbers(session, store_id=store_id)
    numbers = await _numbers(request, store_shows)
    if request.query.get("format") == "csv":
        return _csv(request, numbers, f"store-{store.slug}.csv")
    return render(
        request,
        "analytics/store.html",
        {"store": store, "numbers": numbers, "total": grand_total(numbers)},
    )


@routes.get("/ops/analytics", name="platform_analytics")
async def platform_analytics(request: web.Request) -> web.StreamResponse:
    require_user(request, Role.OPERATOR)
    period = request.query.get("period", "day")
    period = period if period in PERIODS else "day"
    async with request.app[keys.sessionmaker]() as session:
        all_shows = await shows_with_numbers(session)
    numbers = await _numbers(request, all_shows)
    if request.query.get("format") == "csv":
        return _csv(request, numbers, "platform.csv")
    return render(
        request,
        "analytics/platform.html",
        {
            "period": period,
            "periods": PERIODS,
            "rows": totals_by_period(numbers, period),
            "total": grand_total(numbers),
        },
    )
