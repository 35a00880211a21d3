"""The forecast's retraining job and the forecasts the pages ask for.

Each round checks whether shows have ended since the last training and, if so, reads
the platform's ended shows (at most `MAX_SHOWS`, the newest) and fits the model in a
worker thread, so the event loop keeps serving. A round is bounded: the history it
learns from is capped, the models are small, and a fit that takes longer than
`budget_seconds` is given up (the previous model stays in use). scikit-learn is
imported in that thread, on the first training, so starting the app does not pay for it.

The model learns from every store's shows, so it only trains when they come from at
least `MIN_STORES` stores: a forecast never rests on one or two other merchants.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.analytics.insights import history
from server.analytics.insights.forecast.model import TrainedForecast
from server.analytics.insights.peers import MIN_STORES
from server.analytics.insights.records import PastShow
from server.analytics.insights.sources import SalesHistory
from server.db import utcnow

log = logging.getLogger("jangteo.forecast")

RETRAIN_CHECK_SECONDS = 300.0
MAX_SHOWS = 5000
MIN_SHOWS = 40
BUDGET_SECONDS = 120.0


def _fit(shows: Sequence[PastShow], now: dt.datetime) -> TrainedForecast:
    # Imported here, in the worker thread: scikit-learn takes seconds to import.
    from server.analytics.insights.forecast.fitting import fit_forecast

    return fit_forecast(shows, now)


@dataclass(frozen=True)
class TrainingState:
    """What the page says when there is no forecast yet."""

    shows: int = 0
    stores: int = 0
    running: bool = False


class ForecastTrainer:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        sales: SalesHistory,
        executor: Executor,
        *,
        budget_seconds: float = BUDGET_SECONDS,
        max_shows: int = MAX_SHOWS,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._sales = sales
        self._executor = executor
        self._budget = budget_seconds
        self._max_shows = max_shows
        self._lock = asyncio.Lock()
        self._trained: TrainedForecast | None = None
        self._fingerprint: tuple[int, dt.datetime | None] | None = None
        self._state = TrainingState()

    @property
    def current(self) -> TrainedForecast | None:
        return self._trained

    @property
    def state(self) -> TrainingState:
        return self._state

    async def retrain_if_due(self) -> bool:
        """One round of the background job: retrain when shows have ended since."""
        async with self._sessionmaker() as session:
            fingerprint = await history.ended_fingerprint(session)
        if fingerprint == self._fingerprint:
            return False
        return await self.retrain()

    async def retrain(self) -> bool:
        """Train on the ended shows now; True when a new model is in use."""
        async with self._lock:
            async with self._sessionmaker() as session:
                fingerprint = await history.ended_fingerprint(session)
                profiles = await history.store_profiles(session, self._sales)
                shows = await history.past_shows(
                    session, self._sales, profiles, limit=self._max_shows
                )
            stores = len({s.store_id for s in shows})
            self._fingerprint = fingerprint
            if len(shows) < MIN_SHOWS or stores < MIN_STORES:
                self._state = TrainingState(len(shows), stores)
                return False
            self._state = TrainingState(len(shows), stores, running=True)
            try:
                trained = await asyncio.wait_for(self._fit_off_loop(shows), self._budget)
            except TimeoutError:
                log.warning("forecast training gave up", extra={"shows": len(shows)})
                return False
            finally:
                self._state = TrainingState(len(shows), stores)
            self._trained = trained
            log.info(
                "forecast trained",
                extra={
                    "shows": trained.shows,
                    "stores": trained.stores,
                    "models": {t: m.name for t, m in trained.models.items()},
                },
            )
            return True

    async def _fit_off_loop(self, shows: Sequence[PastShow]) -> TrainedForecast:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, _fit, shows, utcnow())
