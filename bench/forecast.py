"""Forecast backtest: a generated history of shows with a known structure (time of day,
weekday, market, category, crew experience, flash sales, length), the forecast trained on
the older 80 % and asked about each of the newer 20 % with what was known just before
it, against the naive forecast: the store's own average so far.

    .venv/bin/python bench/forecast.py                       # 2,400 shows, 60 stores
    .venv/bin/python bench/forecast.py --shows 5000 --stores 120 --seed 7

The model is the app's own (`server.analytics.insights.forecast`): the same columns, the
same candidates and the same choice between them as the retraining job. MAPE counts the
held-out shows with at least one order (a percentage of zero is not defined). Ends with
`RESULT forecast shows=.. mape=.. baseline_mape=..` (orders per show).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.analytics.insights.forecast.fitting import backtest  # noqa: E402
from server.analytics.insights.forecast.synthetic import generate, random_stores  # noqa: E402

START = dt.date(2025, 1, 6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shows", type=int, default=2400, help="about how many shows")
    parser.add_argument("--stores", type=int, default=60)
    parser.add_argument("--creators", type=int, default=40)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    stores = random_stores(rng, args.stores, args.creators)
    per_week = args.shows / args.stores / (args.days / 7)
    shows = generate(rng, stores, START, args.days, per_week)
    print(
        f"history: {len(shows)} shows, {len(stores)} stores, {args.creators} creators, "
        f"{args.days} days (seed {args.seed})"
    )
    started = time.perf_counter()
    result = backtest(shows, dt.datetime.now(dt.UTC))
    seconds = time.perf_counter() - started
    print(
        f"trained on the first {result.trained_on} shows, forecast the last "
        f"{result.held_out} ({seconds:.1f} s to train and test)"
    )
    print(f"{'target':<14}{'model':<16}{'MAPE':>8}{'baseline':>10}{'ratio':>8}{'in 80% range':>14}")
    for r in result.results.values():
        ratio = r.mape / r.baseline_mape if r.baseline_mape else math.nan
        print(
            f"{r.target:<14}{r.model:<16}{r.mape:>8.3f}{r.baseline_mape:>10.3f}"
            f"{ratio:>8.2f}{r.coverage:>13.0%}"
        )
    print("choosing on the newest 20 % of the training shows (MAPE per candidate):")
    for r in result.results.values():
        scores = "  ".join(f"{name}={score:.3f}" for name, score in r.candidates.items())
        # Revenue is orders × the value of an order: the candidates competed for the value.
        label = "order value" if r.target == "revenue" else r.target
        print(f"  {label:<14}{scores}")
    orders = result.results["orders"]
    print(
        f"RESULT forecast shows={result.shows} mape={orders.mape:.3f} "
        f"baseline_mape={orders.baseline_mape:.3f} model={orders.model} "
        f"held_out={result.held_out}"
    )


if __name__ == "__main__":
    main()
