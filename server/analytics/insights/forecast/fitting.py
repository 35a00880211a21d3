"""Fitting and backtesting the forecast. The only module that imports scikit-learn; it
runs in the retraining job's worker thread and in `bench/forecast.py`, never on the
event loop.

Three candidates compete per target (peak viewers, orders, revenue), each on a log
scale so a show twice as big counts as much as one half as big:

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

from server.analytics.insights.forecast.features import build_rows, spec_for
from server.analytics.insights.forecast.model import (
    Matrix,
    Predictor,
    TargetModel,
    TrainedForecast,
    typical_values,
)
from server.analytics.insights.records import TARGETS, PastShow, outcome

CANDIDATES = ("store_average", "ridge", "boosted_trees")
HOLDOUT = 0.2
RANGE = (0.1, 0.9)


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


def _choose(x: Matrix, y: Matrix, naive: Matrix, cut: int) -> tuple[str, dict[str, float], Matrix]:
    scores: dict[str, float] = {}
    errors: dict[str, Matrix] = {}
    for name in CANDIDATES:
        predictor = fit_candidate(name, x[:cut], y[:cut])
        log_forecast = predictor.predict(x[cut:], naive[cut:])
        scores[name] = mape(np.expm1(log_forecast), y[cut:])
        errors[name] = np.log1p(y[cut:]) - log_forecast
    ranked = sorted(CANDIDATES, key=lambda n: (np.nan_to_num(scores[n], nan=np.inf), 0))
    return ranked[0], scores, errors[ranked[0]]


def fit_forecast(shows_oldest_first: Sequence[PastShow], now: dt.datetime) -> TrainedForecast:
    spec = spec_for(shows_oldest_first)
    rows = build_rows(shows_oldest_first, spec)
    x = np.asarray(rows.x, dtype=np.float64)
    cut = max(1, int(len(x) * (1 - HOLDOUT)))
    models = {}
    for target in TARGETS:
        y = np.asarray(rows.y[target], dtype=np.float64)
        naive = np.asarray(rows.naive[target], dtype=np.float64)
        winner, scores, errors = _choose(x, y, naive, cut)
        low, high = np.quantile(errors, RANGE) if len(errors) else (0.0, 0.0)
        models[target] = TargetModel(
            winner, fit_candidate(winner, x, y), float(low), float(high), scores
        )
    return TrainedForecast(
        spec=spec,
        track=rows.track,
        models=models,
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


def backtest(shows_oldest_first: Sequence[PastShow], now: dt.datetime) -> Backtest:
    """Train on the older shows, forecast each of the newer ones with what was known
    just before it (its store's and crew's record so far), compare with the truth."""
    cut = int(len(shows_oldest_first) * (1 - HOLDOUT))
    trained = fit_forecast(shows_oldest_first[:cut], now)
    rows = build_rows(shows_oldest_first, trained.spec)
    x = np.asarray(rows.x[cut:], dtype=np.float64)
    results = {}
    for target, model in trained.models.items():
        actual = np.asarray([outcome(s, target) for s in shows_oldest_first[cut:]], dtype=float)
        naive = np.asarray(rows.naive[target][cut:], dtype=np.float64)
        log_forecast = model.predictor.predict(x, naive)
        low, high = np.expm1(log_forecast + model.low), np.expm1(log_forecast + model.high)
        results[target] = TargetBacktest(
            target=target,
            model=model.name,
            mape=mape(np.expm1(log_forecast), actual),
            baseline_mape=mape(naive, actual),
            coverage=float(np.mean((actual >= low) & (actual <= high))),
            candidates=model.scores,
        )
    return Backtest(len(shows_oldest_first), cut, len(shows_oldest_first) - cut, results)
