"""Fitting and backtesting the forecast. The only module that imports scikit-learn; it
runs in the retraining job's worker thread and in `bench/forecast.py`, never on the
event loop.

Three candidates compete per target (peak viewers, orders, and the value of an order;
revenue is orders × that value, so the two never disagree), each on a log scale so a
show twice as big counts as much as one half as big:

- `store_average`: the naive forecast, the store's own average so far;
- `ridge`: a regularised linear regression (the penalty picked by cross-validation);
- `boosted_trees`: gradient-boosted regression trees, small and shallow.

The shows are split by time: the candidates learn from the older 80 % and are scored on
the newer 20 % (MAPE); the winner, the simplest on a tie, learns again from all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from server.analytics.insights.forecast.features import (
    MODEL_TARGETS,
    ORDER_VALUE,
    build_rows,
    spec_for,
)
from server.analytics.insights.forecast.model import (
    Matrix,
    Predictor,
    TargetModel,
    TrainedForecast,
    typical_values,
)
from server.analytics.insights.records import PastShow

CANDIDATES = ("store_average", "ridge", "boosted_trees")
HOLDOUT = 0.2
RANGE = (0.1, 0.9)
MIN_ROWS = 10  # fewer known outcomes than this: only the naive forecast is tried


class StoreAverage:
    def predict(self, x: Matrix, naive: Matrix) -> Matrix:
        return np.log1p(naive)


class Fitted:
    def __init__(self, estimator: Any) -> None:
        self._estimator = estimator

    def predict(self, x: Matrix, naive: Matrix) -> Matrix:
        return np.asarray(self._estimator.predict(x), dtype=np.float64)


def _estimator(name: str) -> Any:
    if name == "ridge":
        return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 3, 11)))
    return GradientBoostingRegressor(
        n_estimators=150,
        learning_rate=0.1,
        max_depth=3,
        subsample=0.8,
        min_samples_leaf=10,
        random_state=0,
    )


def fit_candidate(name: str, x: Matrix, y: Matrix) -> Predictor:
    if name == "store_average":
        return StoreAverage()
    estimator = _estimator(name)
    estimator.fit(x, np.log1p(y))
    return Fitted(estimator)


def mape(forecast: Matrix, actual: Matrix) -> float:
    """Mean absolute percentage error over the shows with at least one (order, viewer,
    won): a percentage of zero is not defined."""
    counted = actual >= 1
    if not counted.any():
        return float("nan")
    return float(np.mean(np.abs(forecast[counted] - actual[counted]) / actual[counted]))


@dataclass(frozen=True)
class Choice:
    name: str
    scores: dict[str, float]
    newest: Matrix  # the winner's log forecast for the newest rows


def _choose(x: Matrix, y: Matrix, naive: Matrix, cut: int) -> Choice:
    """Each candidate learns from the older rows whose outcome is known and is scored on
    the newer ones; the best wins, the simplest on a tie."""
    known = np.isfinite(y[:cut])
    names = CANDIDATES if known.sum() >= MIN_ROWS else CANDIDATES[:1]
    scores: dict[str, float] = {}
    newest: dict[str, Matrix] = {}
    for name in names:
        predictor = fit_candidate(name, x[:cut][known], y[:cut][known])
        newest[name] = predictor.predict(x[cut:], naive[cut:])
        scores[name] = mape(np.expm1(newest[name]), y[cut:])
    winner = min(names, key=lambda n: np.nan_to_num(scores[n], nan=np.inf))
    return Choice(winner, scores, newest[winner])


def _range(actual: Matrix, log_forecast: Matrix) -> tuple[float, float]:
    """The 10th and 90th percentile of the log errors where the outcome is known."""
    known = np.isfinite(actual)
    if not known.any():
        return 0.0, 0.0
    low, high = np.quantile(np.log1p(actual[known]) - log_forecast[known], RANGE)
    return float(low), float(high)


def revenue_of(orders_log: Matrix, value_log: Matrix) -> Matrix:
    """Revenue as orders × the value of an order, from their log forecasts."""
    return np.maximum(np.expm1(orders_log), 0.0) * np.maximum(np.expm1(value_log), 0.0)


def fit_forecast(shows_oldest_first: Sequence[PastShow], now: dt.datetime) -> TrainedForecast:
    spec = spec_for(shows_oldest_first)
    rows = build_rows(shows_oldest_first, spec)
    x = np.asarray(rows.x, dtype=np.float64)
    cut = max(1, int(len(x) * (1 - HOLDOUT)))
    models: dict[str, TargetModel] = {}
    newest: dict[str, Matrix] = {}
    for target in MODEL_TARGETS:
        y = np.asarray(rows.y[target], dtype=np.float64)
        choice = _choose(x, y, np.asarray(rows.naive[target], dtype=np.float64), cut)
        known = np.isfinite(y)
        low, high = _range(y[cut:], choice.newest)
        predictor = fit_candidate(choice.name, x[known], y[known])
        models[target] = TargetModel(choice.name, predictor, low, high, choice.scores)
        newest[target] = choice.newest
    revenue = np.log1p(revenue_of(newest["orders"], newest[ORDER_VALUE]))
    return TrainedForecast(
        spec=spec,
        track=rows.track,
        models=models,
        revenue_range=_range(np.asarray(rows.y["revenue"][cut:], dtype=np.float64), revenue),
        typical=typical_values(x, spec),
        trained_at=now,
        shows=len(shows_oldest_first),
        stores=len({s.store_id for s in shows_oldest_first}),
    )


@dataclass(frozen=True)
class TargetBacktest:
    target: str
    model: str
    mape: float
    baseline_mape: float
    coverage: float  # share of held-out shows whose result fell within the range
    candidates: dict[str, float]  # each candidate's MAPE when the model was chosen


@dataclass(frozen=True)
class Backtest:
    shows: int
    trained_on: int
    held_out: int
    results: dict[str, TargetBacktest]


def _result(
    target: str,
    model: str,
    actual: Matrix,
    log_forecast: Matrix,
    naive: Matrix,
    bounds: tuple[float, float],
    candidates: dict[str, float],
) -> TargetBacktest:
    low, high = np.expm1(log_forecast + bounds[0]), np.expm1(log_forecast + bounds[1])
    return TargetBacktest(
        target=target,
        model=model,
        mape=mape(np.expm1(log_forecast), actual),
        baseline_mape=mape(naive, actual),
        coverage=float(np.mean((actual >= low) & (actual <= high))),
        candidates=candidates,
    )


def backtest(shows_oldest_first: Sequence[PastShow], now: dt.datetime) -> Backtest:
    """Train on the older shows, forecast each of the newer ones with what was known
    just before it (its store's and crew's record so far), compare with the truth."""
    cut = int(len(shows_oldest_first) * (1 - HOLDOUT))
    trained = fit_forecast(shows_oldest_first[:cut], now)
    rows = build_rows(shows_oldest_first, trained.spec)
    x = np.asarray(rows.x[cut:], dtype=np.float64)

    def column(values: dict[str, list[float]], target: str) -> Matrix:
        return np.asarray(values[target][cut:], dtype=np.float64)

    logs = {t: m.predictor.predict(x, column(rows.naive, t)) for t, m in trained.models.items()}
    results = {
        t: _result(
            t,
            m.name,
            column(rows.y, t),
            logs[t],
            column(rows.naive, t),
            (m.low, m.high),
            m.scores,
        )
        for t, m in trained.models.items()
        if t != ORDER_VALUE
    }
    value = trained.models[ORDER_VALUE]
    results["revenue"] = _result(
        "revenue",
        f"orders×{value.name}",
        column(rows.y, "revenue"),
        np.log1p(revenue_of(logs["orders"], logs[ORDER_VALUE])),
        column(rows.naive, "revenue"),
        trained.revenue_range,
        value.scores,
    )
    return Backtest(len(shows_oldest_first), cut, len(shows_oldest_first) - cut, results)
