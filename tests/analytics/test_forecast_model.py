"""The forecast learns the known structure of a generated history: evening shows draw
more viewers than morning ones, flash sales bring orders, its range holds its own
forecast, it names what moved it, and on later shows it beats the store's own average."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from server.analytics.insights.forecast.features import SHRINK_SHOWS, Track, build_rows, spec_for
from server.analytics.insights.forecast.fitting import backtest, fit_forecast, mape
from server.analytics.insights.forecast.synthetic import generate, random_stores
from server.analytics.insights.records import PastShow
from server.i18n import SEOUL

NOW = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)


def history(shows: int, stores: int, seed: int = 3) -> list[PastShow]:
    rng = np.random.default_rng(seed)
    world = random_stores(rng, stores, creators=12)
    days = 180
    return generate(rng, world, dt.date(2026, 3, 2), days, shows / stores / (days / 7))


def at(hour: int) -> dt.datetime:
    return dt.datetime(2026, 12, 1, hour, 0, tzinfo=SEOUL).astimezone(dt.UTC)  # a Tuesday


def test_the_forecast_follows_the_known_structure() -> None:
    shows = history(400, 20)
    trained = fit_forecast(shows, NOW)
    plan = shows[-1].plan
    evening = trained.forecast(dataclasses.replace(plan, starts_at=at(20), flash_sales=0))
    morning = trained.forecast(dataclasses.replace(plan, starts_at=at(9), flash_sales=0))
    with_sales = trained.forecast(dataclasses.replace(plan, starts_at=at(20), flash_sales=2))
    # In the generated world 20:00 draws 1.4× the average audience and 09:00 0.45×.
    assert evening.estimates["peak_viewers"].value > 1.5 * morning.estimates["peak_viewers"].value
    assert with_sales.estimates["orders"].value > evening.estimates["orders"].value
    for estimate in evening.estimates.values():
        assert 0 <= estimate.low <= estimate.value <= estimate.high
    reasons = {r.group: r.change for r in morning.reasons}
    assert reasons["time"]["peak_viewers"] < 0  # a morning slot pulls the forecast down
    assert set(evening.estimates) == {"peak_viewers", "orders", "revenue"}
    # Revenue is orders × the value of an order: when the slot moves orders, revenue
    # follows (the line-up's prices may rightly move them apart).
    for reason in morning.reasons:
        if reason.group in ("time", "weekday"):
            assert reason.change["orders"] * reason.change["revenue"] >= 0, reason
    assert trained.shows == len(shows) and trained.stores == 20


def test_training_rows_only_know_the_past() -> None:
    shows = history(120, 6)
    rows = build_rows(shows, spec_for(shows))
    first = shows[0]
    # The first show's store had no past: its naive forecast is the (empty) platform's.
    assert rows.naive["orders"][0] == 0.0
    later = next(i for i, s in enumerate(shows) if i and s.store_id == first.store_id)
    track = Track()
    for show in shows[:later]:
        track.add(show)
    assert rows.naive["orders"][later] == track.store_average(first.store_id, "orders")
    blended = track.store_blend(first.store_id, "orders")
    mean = track.platform.mean("orders")
    store_sum = track.stores[first.store_id].totals["orders"]
    n = track.store_shows(first.store_id)
    assert blended == (store_sum + SHRINK_SHOWS * mean) / (n + SHRINK_SHOWS)


def test_the_backtest_beats_the_stores_own_average() -> None:
    result = backtest(history(600, 24, seed=11), NOW)
    orders = result.results["orders"]
    assert result.held_out == result.shows - result.trained_on > 80
    assert orders.mape < orders.baseline_mape
    assert 0.5 < orders.coverage <= 1.0


def test_mape_counts_shows_with_something_to_miss() -> None:
    actual = np.asarray([10.0, 0.0, 4.0])
    assert mape(np.asarray([12.0, 3.0, 2.0]), actual) == (0.2 + 0.5) / 2
