"""A trained forecast: for a planned show, the expected peak viewers, orders and revenue,
each with a range, and which inputs moved them.

The range comes from how far off the chosen model was on the most recent shows it was
checked against (the 10th and 90th percentile of its errors, on a log scale, so a range
is relative: "12 orders, 8 to 17"). The reasons are measured, not claimed: each group of
inputs in turn is set to what is typical on the platform, and the change in the forecast
is that group's share ("evening slot: +3 orders"). This works the same for every model.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from server.analytics.insights.forecast.features import (
    GROUPS,
    MODEL_TARGETS,
    ORDER_VALUE,
    FeatureSpec,
    Track,
    columns,
)
from server.analytics.insights.records import ShowPlan

Matrix = NDArray[np.float64]


class Predictor(Protocol):
    def predict(self, x: Matrix, naive: Matrix) -> Matrix:
        """log1p of the forecast for each row; `naive` is the store's own average."""


@dataclass(frozen=True)
class TargetModel:
    name: str  # the candidate that won on the most recent shows
    predictor: Predictor
    low: float  # 10th percentile of log errors
    high: float  # 90th percentile
    scores: dict[str, float]  # each candidate's MAPE on the most recent shows


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Reason:
    group: str
    change: dict[str, float]  # per target: forecast minus forecast with the group typical


@dataclass(frozen=True)
class Forecast:
    estimates: dict[str, Estimate]
    reasons: list[Reason]  # biggest effect on orders first


@dataclass(frozen=True)
class TrainedForecast:
    spec: FeatureSpec
    track: Track
    models: dict[str, TargetModel]  # peak viewers, orders, the value of an order
    revenue_range: tuple[float, float]  # log errors of orders × order value
    typical: dict[str, list[float]]  # per group: the platform's typical column values
    trained_at: dt.datetime
    shows: int
    stores: int

    def _predict(self, row: list[float], naive: dict[str, float]) -> dict[str, float]:
        """Peak viewers, orders and revenue (orders × the value of an order)."""
        x = np.asarray([row], dtype=np.float64)
        out = {}
        for target, model in self.models.items():
            log_value = float(model.predictor.predict(x, np.asarray([naive[target]]))[0])
            out[target] = max(0.0, math.expm1(log_value))
        out["revenue"] = out["orders"] * out.pop(ORDER_VALUE)
        return out

    def _naive(self, store_id: int | None) -> dict[str, float]:
        return {t: self.track.naive(store_id, t) for t in MODEL_TARGETS}

    def _typical_row(self, row: list[float], group: str) -> list[float]:
        cols = self.spec.columns
        values = iter(self.typical[group])
        return [next(values) if g == group else v for (g, _), v in zip(cols, row, strict=True)]

    def forecast(self, plan: ShowPlan) -> Forecast:
        row = columns(plan, self.track, self.spec)
        naive = self._naive(plan.store_id)
        point = self._predict(row, naive)
        ranges = {t: (m.low, m.high) for t, m in self.models.items()}
        ranges["revenue"] = self.revenue_range
        estimates = {}
        for target, value in point.items():
            low, high = ranges[target]
            log_point = math.log1p(value)
            estimates[target] = Estimate(
                value=value,
                low=max(0.0, min(value, math.expm1(log_point + low))),
                high=max(value, math.expm1(log_point + high)),
            )
        reasons = []
        for group in GROUPS:
            if group not in self.typical:
                continue
            # The naive forecast is the store's own record, so setting the store's record
            # to the typical one also sets that forecast to the platform's average.
            other = self._predict(
                self._typical_row(row, group), self._naive(None) if group == "store" else naive
            )
            reasons.append(Reason(group, {t: point[t] - other[t] for t in point}))
        reasons.sort(key=lambda r: -abs(r.change.get("orders", 0.0)))
        return Forecast(estimates, reasons)


def typical_values(x: Matrix, spec: FeatureSpec) -> dict[str, list[float]]:
    """Per group, what is typical: the commonest pattern of yes/no columns (a weekday,
    a market), else the median of each column."""
    groups = [g for g, _ in spec.columns]
    typical: dict[str, list[float]] = {}
    for group in GROUPS:
        idx = [i for i, g in enumerate(groups) if g == group]
        if not idx:
            continue
        block = x[:, idx]
        if np.isin(block, (0.0, 1.0)).all():
            patterns, counts = np.unique(block, axis=0, return_counts=True)
            typical[group] = [float(v) for v in patterns[int(np.argmax(counts))]]
        else:
            typical[group] = [float(v) for v in np.median(block, axis=0)]
    return typical
