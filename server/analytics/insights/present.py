"""Words for the insights: the sentences, the names of the forecast's inputs and what the
planned show has for each, in the reader's language (given as a gettext function)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from babel.dates import get_day_names

from server.analytics.insights.advice import Advice
from server.analytics.insights.forecast.model import TrainedForecast
from server.analytics.insights.peers import StoreProfile
from server.analytics.insights.records import ShowPlan
from server.errors import N_
from server.i18n import SEOUL, format_krw

Gettext = Callable[[str], str]

GROUP_NAMES = {
    "weekday": N_("Weekday"),
    "time": N_("Time of day"),
    "length": N_("Length"),
    "lineup": N_("Line-up"),
    "category": N_("Category"),
    "flash_sale": N_("Flash sales"),
    "market": N_("Market"),
    "store": N_("Your store's record"),
    "crew": N_("Crew experience"),
}
MODEL_NAMES = {
    "store_average": N_("your store's own average"),
    "ridge": N_("regularised linear regression"),
    "boosted_trees": N_("gradient-boosted trees"),
}
TARGET_NAMES = {
    "peak_viewers": N_("Peak viewers"),
    "orders": N_("Orders"),
    "revenue": N_("Revenue"),
}


def weekday_names(locale: str) -> list[str]:
    names = get_day_names("abbreviated", locale=locale)
    return [str(names[d]) for d in range(7)]


def hour_label(gettext: Gettext) -> Callable[[int, int], str]:
    def label(hour: int, block: int) -> str:
        if block == 1:
            return gettext(N_("%(hour)s h")) % {"hour": hour}
        return gettext(N_("%(start)s–%(end)s h")) % {"start": hour, "end": hour + block}

    return label


def advice_text(advice: Advice, gettext: Gettext) -> str:
    return gettext(advice.template) % advice.params


def amount(target: str, value: float) -> str:
    if target == "revenue":
        return format_krw(int(round(value, -2) if value >= 1000 else round(value)))
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def signed(target: str, value: float) -> str:
    """A change with its sign; "–" for one too small to show (the plan is typical there)."""
    shown = amount(target, abs(value))
    if float(shown.lstrip("₩").replace(",", "")) == 0:
        return "–"
    return ("+" if value > 0 else "−") + shown


@dataclass(frozen=True)
class PlanFacts:
    """What the describing needs beside the plan."""

    plan: ShowPlan
    profile: StoreProfile
    trained: TrainedForecast
    category_labels: Mapping[str, str]
    crew_shows: list[int]


def describe(group: str, facts: PlanFacts, gettext: Gettext, locale: str) -> str:
    """What the planned show has for one group of inputs, e.g. "Tue", "20 h", "90 min"."""
    plan = facts.plan
    local = plan.starts_at.astimezone(SEOUL)
    track = facts.trained.track
    texts: dict[str, Callable[[], str]] = {
        "weekday": lambda: weekday_names(locale)[local.weekday()],
        "time": lambda: hour_label(gettext)(local.hour, 1),
        "length": lambda: gettext(N_("%(minutes)s min")) % {"minutes": plan.minutes},
        "lineup": lambda: (
            gettext(N_("%(count)s products, %(price)s on average"))
            % {"count": plan.product_count, "price": format_krw(plan.mean_price)}
        ),
        "category": lambda: gettext(facts.category_labels.get(plan.category, N_("Not chosen"))),
        "flash_sale": lambda: gettext(N_("%(count)s flash sales")) % {"count": plan.flash_sales},
        "market": lambda: facts.profile.market_label or gettext(N_("Not given")),
        "store": lambda: (
            gettext(N_("%(shows)s shows, %(orders)s orders each on average"))
            % {
                "shows": track.store_shows(plan.store_id),
                "orders": amount("orders", track.store_average(plan.store_id, "orders")),
            }
            if track.store_shows(plan.store_id)
            else gettext(N_("No show yet"))
        ),
        "crew": lambda: (
            gettext(N_("Crew of %(count)s, %(shows)s shows each on average"))
            % {
                "count": len(facts.crew_shows),
                "shows": amount("orders", sum(facts.crew_shows) / max(1, len(facts.crew_shows))),
            }
        ),
    }
    return texts[group]()
