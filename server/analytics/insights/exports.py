"""The CSV beside each insight's chart: the same figures, one file per table, written
through `server.csv_export` (formulas neutralised, a byte-order mark for Korean)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aiohttp import web

from server import keys
from server.analytics.insights import history, report
from server.analytics.insights.errors import BadPlan
from server.analytics.insights.records import TARGETS
from server.analytics.insights.timeline import MINUTE_MS, pinned_at
from server.analytics.insights.views import (
    best_time_context,
    forecast_context,
    managed_ended_show,
    store_of_request,
)
from server.csv_export import Cell, csv_response
from server.errors import N_, NotFound
from server.http import gettext

routes = web.RouteTableDef()


def _csv(
    request: web.Request, filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> web.Response:
    return csv_response(filename, [gettext(request, h) for h in header], rows)


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


@routes.get("/merchant/insights/best-time.csv")
async def best_time_csv(request: web.Request) -> web.Response:
    _, store = await store_of_request(request)
    store_id = store.id
    context = await best_time_context(request, store_id)
    hm, weekdays, hour = context["heatmap"], context["weekdays"], context["hour_label"]
    rows = []
    for day in range(7):
        for start in hm.hours:
            cell = hm.cell(day, start)
            peers = cell.peers
            rows.append(
                [
                    weekdays[day],
                    hour(start, hm.block),
                    peers.shows if peers.visible else None,
                    peers.mean_viewers,
                    peers.mean_orders,
                    cell.own.shows,
                    cell.own.mean_viewers,
                    cell.own.mean_orders,
                ]
            )
    header = (
        N_("weekday"),
        N_("hours"),
        N_("shows of other stores"),
        N_("peak viewers per show (other stores)"),
        N_("orders per show (other stores)"),
        N_("your shows"),
        N_("your peak viewers per show"),
        N_("your orders per show"),
    )
    return _csv(request, f"best-time-{context['scope'].value}.csv", header, rows)


@routes.get("/merchant/insights/products.csv")
async def products_csv(request: web.Request) -> web.Response:
    _, store = await store_of_request(request)
    store_id = store.id
    async with request.app[keys.sessionmaker]() as session:
        sells = await report.what_sells(session, request.app[keys.sales_history], store_id)
    header = (
        N_("product"),
        N_("times pinned"),
        N_("minutes pinned"),
        N_("orders while pinned"),
        N_("orders while not pinned"),
        N_("conversion while pinned %"),
        N_("revenue per pinned minute (KRW)"),
        N_("orders per minute in flash sales"),
        N_("orders per minute before them"),
        N_("flash-sale uplift (times)"),
    )
    rows = [
        [
            p.name,
            p.times_pinned,
            p.minutes_pinned,
            len(p.orders_pinned),
            len(p.orders_unpinned),
            _pct(p.conversion_pinned),
            p.revenue_per_pinned_minute,
            _round(p.sale_rate),
            _round(p.before_rate),
            _round(p.uplift),
        ]
        for p in sells.products
    ]
    return _csv(request, "products.csv", header, rows)


@routes.get("/merchant/insights/returning.csv")
async def returning_csv(request: web.Request) -> web.Response:
    _, store = await store_of_request(request)
    store_id = store.id
    async with request.app[keys.sessionmaker]() as session:
        found = await report.store_returning(session, store_id)
    header = (N_("show"), N_("started"), N_("viewers"), N_("returning viewers"), N_("share %"))
    rows = [
        [span.title, span.started_at.isoformat(), r.viewers, r.returning, _pct(r.share)]
        for span, r in found
    ]
    return _csv(request, "returning-viewers.csv", header, rows)


@routes.get("/merchant/insights/forecast.csv")
async def forecast_csv(request: web.Request) -> web.Response:
    _, store = await store_of_request(request)
    store_id = store.id
    async with request.app[keys.sessionmaker]() as session:
        profiles = await history.store_profiles(session, request.app[keys.sales_history])
    context = await forecast_context(request, store_id, profiles[store.id])
    if "plan_error" in context:
        error: BadPlan = context["plan_error"]
        raise error
    forecast = context.get("forecast_raw")
    if forecast is None:
        raise NotFound(N_("There is no forecast yet."))
    header = (N_("what"), N_("planned"), N_("peak viewers"), N_("orders"), N_("revenue (KRW)"))
    rows: list[list[Cell]] = [
        [
            gettext(request, N_("forecast")),
            "",
            *(round(forecast.estimates[t].value, 1) for t in TARGETS),
        ],
        [
            gettext(request, N_("low end")),
            "",
            *(round(forecast.estimates[t].low, 1) for t in TARGETS),
        ],
        [
            gettext(request, N_("high end")),
            "",
            *(round(forecast.estimates[t].high, 1) for t in TARGETS),
        ],
    ]
    for reason in context["forecast"]["reasons"]:
        rows.append(
            [
                reason["group"],
                reason["value"],
                *(round(reason["raw"][t], 1) for t in TARGETS),
            ]
        )
    return _csv(request, "forecast.csv", header, rows)


@routes.get("/shows/{show_id:\\d+}/insights/{table:retention|viewers|departures}.csv")
async def show_csv(request: web.Request) -> web.Response:
    show = await managed_ended_show(request)
    span = history.show_span(show)
    if span is None:
        raise NotFound(N_("Who stays is shown once the show has ended."))
    async with request.app[keys.sessionmaker]() as session:
        stays = await report.who_stays(session, request.app[keys.sales_history], show, span)
    table = request.match_info["table"]
    name = f"show-{show.id}-{table}.csv"
    header: tuple[str, ...]
    if table == "retention":
        header = (N_("minutes after joining"), N_("still watching %"), N_("viewers that long"))
        rows: list[list[Cell]] = [[p.minute, _pct(p.share), p.at_risk] for p in stays.curve]
    elif table == "viewers":
        header = (N_("minute"), N_("viewers"), N_("pinned product"), N_("flash sale"))
        rows = []
        for offset, viewers in stays.series:
            pin = pinned_at(stays.pins, offset)
            on_sale = any(start <= offset < end for start, end in stays.sales)
            rows.append(
                [round(offset / MINUTE_MS, 1), viewers, pin.name if pin else "", int(on_sale)]
            )
    else:
        header = (N_("minute"), N_("viewers who left"), N_("pinned product"))
        rows = []
        for minute, left in stays.leaving:
            pin = pinned_at(stays.pins, minute * MINUTE_MS + MINUTE_MS // 2)
            rows.append([minute, left, pin.name if pin else ""])
    return _csv(request, name, header, rows)
