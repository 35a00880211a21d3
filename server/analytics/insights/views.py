"""Insights pages: the store's overview (best time, what sells, returning viewers, the
forecast of a planned show) and one show's "who stays". Thin: they check who asks,
read the query, and hand over to `report`, `planning` and the trained forecast."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from markupsafe import Markup

from server import keys
from server.accounts import service as accounts
from server.accounts.models import Role, Store, User
from server.analytics.insights import charts, history, report
from server.analytics.insights.errors import BadPlan
from server.analytics.insights.forecast.model import Forecast
from server.analytics.insights.forecast.trainer import MIN_SHOWS
from server.analytics.insights.peers import MIN_STORES, SCOPE_LABELS, Scope, StoreProfile
from server.analytics.insights.planning import (
    PlanInput,
    default_plan,
    parse_plan,
    plan_choices,
    show_plan,
)
from server.analytics.insights.present import (
    GROUP_NAMES,
    MODEL_NAMES,
    TARGET_NAMES,
    PlanFacts,
    advice_text,
    amount,
    describe,
    hour_label,
    signed,
    weekday_names,
)
from server.analytics.insights.timeline import busiest_per_minute
from server.errors import N_, Forbidden, NotFound
from server.http import gettext, locale_of, managed_store_id, render, require_user
from server.i18n import to_seoul_input
from server.limits import is_whole
from server.shows import service as shows
from server.shows.models import Show

routes = web.RouteTableDef()


async def store_of_request(request: web.Request) -> tuple[User, Store]:
    """The store whose insights are asked for: the merchant's own (asking for another
    store's is refused), any existing store for an operator (?store=)."""
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    wanted = request.query.get("store", "")
    if user.role is Role.MERCHANT and wanted and wanted != str(user.store_id):
        raise Forbidden(N_("You can only see the insights of your own store."))
    async with request.app[keys.sessionmaker]() as session:
        return user, await accounts.get_store(session, managed_store_id(request, user))


def suffix(user: User, store_id: int) -> str:
    return f"store={store_id}" if user.role is Role.OPERATOR else ""


def _scope(request: web.Request) -> Scope:
    raw = request.query.get("scope", Scope.PLATFORM.value)
    return Scope(raw) if raw in set(Scope) else Scope.PLATFORM


def _block(request: web.Request) -> int | None:
    raw = request.query.get("hours", "")
    return int(raw) if raw in ("1", "2", "3") else None


async def best_time_context(request: web.Request, store_id: int) -> dict[str, Any]:
    scope = _scope(request)
    sales = request.app[keys.sales_history]
    async with request.app[keys.sessionmaker]() as session:
        hm, own = await report.best_time(session, sales, store_id, scope, _block(request))
    weekdays = weekday_names(locale_of(request))
    hours = hour_label(lambda m: gettext(request, m))
    svgs = {
        metric: Markup(  # noqa: S704 - drawn by charts, which escapes every text
            charts.heatmap_svg(
                hm,
                metric,
                charts.HeatmapLabels(
                    gettext(request, title), weekdays, hours, gettext(request, "Your show")
                ),
            )
        )
        for metric, title in (
            ("viewers", N_("Peak viewers per show")),
            ("orders", N_("Orders per show")),
        )
    }
    return {
        "heatmap": hm,
        "heatmap_svgs": svgs,
        "scope": scope,
        "scopes": SCOPE_LABELS,
        "own_profile": own,
        "min_stores": MIN_STORES,
        "weekdays": weekdays,
        "hour_label": hours,
        "category_labels": request.app[keys.sales_history].category_labels,
    }


async def forecast_context(
    request: web.Request, store_id: int, profile: StoreProfile
) -> dict[str, Any]:
    sales = request.app[keys.sales_history]
    trainer = request.app[keys.forecaster]
    async with request.app[keys.sessionmaker]() as session:
        choices = await plan_choices(session, sales, store_id)
        raw_show = request.query.get("show", "")
        plan_input = await default_plan(
            session, sales, choices, int(raw_show) if is_whole(raw_show) else None
        )
    context: dict[str, Any] = {"choices": choices, "trainer": trainer.state, "min_shows": MIN_SHOWS}
    try:
        if "start" in request.query:
            plan_input = parse_plan(
                request.query.get("start", ""),
                request.query.get("minutes", ""),
                request.query.getall("products", []),
                request.query.getall("creators", []),
                request.query.get("flash_sales", "0"),
            )
        plan = show_plan(plan_input, store_id, profile, choices)
    except BadPlan as exc:
        typed = _typed_form(request) if "start" in request.query else _form(plan_input)
        context.update(plan=typed, plan_error=exc, plan_status=exc.status)
        return context
    context["plan"] = _form(plan_input)
    trained = trainer.current
    if trained is not None:
        forecast = trained.forecast(plan)
        facts = PlanFacts(
            plan,
            profile,
            trained,
            sales.category_labels,
            [c.shows for c in choices.crew if c.id in plan.creator_ids],
        )
        context.update(forecast=_forecast_view(request, forecast, facts), forecast_raw=forecast)
    return context


def _form(plan: PlanInput) -> dict[str, Any]:
    return {
        "start": to_seoul_input(plan.starts_at),
        "minutes": plan.minutes,
        "products": set(plan.product_ids),
        "creators": set(plan.creator_ids),
        "flash_sales": plan.flash_sales,
        "show_id": plan.show_id,
    }


def _typed_form(request: web.Request) -> dict[str, Any]:
    """The form as the merchant typed it, to show again beside what to fix."""
    query = request.query

    def ids(name: str) -> set[int]:
        return {int(v) for v in query.getall(name, []) if is_whole(v)}

    return {
        "start": query.get("start", ""),
        "minutes": query.get("minutes", ""),
        "products": ids("products"),
        "creators": ids("creators"),
        "flash_sales": query.get("flash_sales", "0"),
        "show_id": None,
    }


def _forecast_view(request: web.Request, forecast: Forecast, facts: PlanFacts) -> dict[str, Any]:
    def text(message: str) -> str:
        return gettext(request, message)

    locale = locale_of(request)
    estimates = []
    for target, estimate in forecast.estimates.items():
        title = text(TARGET_NAMES[target])
        estimates.append(
            {
                "target": target,
                "title": title,
                "value": amount(target, estimate.value),
                "low": amount(target, estimate.low),
                "high": amount(target, estimate.high),
                "svg": Markup(  # noqa: S704 - drawn by charts, which escapes every text
                    charts.range_svg(
                        estimate.low,
                        estimate.value,
                        estimate.high,
                        title,
                        lambda v, t=target: amount(t, v),  # type: ignore[misc]
                    )
                ),
            }
        )
    reasons = [
        {
            "group": text(GROUP_NAMES[r.group]),
            "value": describe(r.group, facts, text, locale),
            "change": {t: signed(t, v) for t, v in r.change.items()},
            "raw": r.change,
        }
        for r in forecast.reasons
    ]
    trained = facts.trained
    return {
        "estimates": estimates,
        "reasons": reasons,
        "models": {t: text(MODEL_NAMES[m.name]) for t, m in trained.models.items()},
        "trained": trained,
    }


@routes.get("/merchant/insights", name="store_insights")
async def store_insights(request: web.Request) -> web.Response:
    user, store = await store_of_request(request)
    store_id = store.id
    sales = request.app[keys.sales_history]
    async with request.app[keys.sessionmaker]() as session:
        sells = await report.what_sells(session, sales, store_id)
        returning = await report.store_returning(session, store_id)
    context: dict[str, Any] = {
        "store": store,
        "suffix": suffix(user, store_id),
        "operator_store": store_id if user.role is Role.OPERATOR else None,
        "sells": sells,
        "advice": [(a.tone, advice_text(a, lambda m: gettext(request, m))) for a in sells.advice],
        "returning": returning,
    }
    context.update(await best_time_context(request, store_id))
    context.update(await forecast_context(request, store_id, context["own_profile"]))
    status = context.get("plan_status", 200)
    return render(request, "analytics/insights.html", context, status=status)


async def managed_ended_show(request: web.Request) -> Show:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    async with request.app[keys.sessionmaker]() as session:
        show = await shows.get_show(session, int(request.match_info["show_id"]))
    if not shows.can_manage(user, show):
        raise Forbidden(N_("You can only see the insights of your own store."))
    return show


@routes.get("/shows/{show_id:\\d+}/insights", name="show_insights")
async def show_insights(request: web.Request) -> web.Response:
    show = await managed_ended_show(request)
    span = history.show_span(show)
    if span is None:
        raise NotFound(N_("Who stays is shown once the show has ended."))
    async with request.app[keys.sessionmaker]() as session:
        stays = await report.who_stays(session, request.app[keys.sales_history], show, span)
    minute = gettext(request, "min")
    return render(
        request,
        "analytics/show_insights.html",
        {
            "show": show,
            "stays": stays,
            "viewers_by_minute": busiest_per_minute(stays.series),
            "retention_svg": Markup(  # noqa: S704 - drawn by charts, which escapes every text
                charts.retention_svg(stays.curve, gettext(request, "Still watching"), minute)
            ),
            "timeline_svg": Markup(  # noqa: S704 - drawn by charts, which escapes every text
                charts.show_timeline_svg(
                    stays.series,
                    stays.pins,
                    stays.sales,
                    stays.departures,
                    span.length_ms,
                    gettext(request, "Viewers over time"),
                    minute,
                )
            ),
        },
    )
