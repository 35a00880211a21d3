"""A past show as a timeline: how long it ran, which product was pinned when, who was
watching from when to when. Offsets are milliseconds since the show went live."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from server.events import LiveEvent

MINUTE_MS = 60_000


@dataclass(frozen=True)
class ShowSpan:
    show_id: int
    title: str
    started_at: dt.datetime
    length_ms: int

    def offset_of(self, moment: dt.datetime) -> int:
        return int((moment - self.started_at).total_seconds() * 1000)

    @property
    def minutes(self) -> float:
        return self.length_ms / MINUTE_MS


@dataclass(frozen=True)
class Pin:
    """A product pinned over the video from `start_ms` until `end_ms`."""

    show_id: int
    product_id: int
    name: str
    start_ms: int
    end_ms: int

    @property
    def minutes(self) -> float:
        return (self.end_ms - self.start_ms) / MINUTE_MS

    def covers(self, offset_ms: int) -> bool:
        return self.start_ms <= offset_ms < self.end_ms


@dataclass(frozen=True)
class Visit:
    viewer_key: str
    joined_ms: int
    left_ms: int  # the show's end when the viewer never left before it


def _pinned_product(payload: dict[str, Any]) -> tuple[int, str] | None:
    product = payload.get("product")
    if isinstance(product, dict) and isinstance(product.get("id"), int):
        return int(product["id"]), str(product.get("name") or "")
    return None


def pin_intervals(show: ShowSpan, events: Iterable[tuple[str, int, dict[str, Any]]]) -> list[Pin]:
    """Pins from the journal's (kind, offset, payload) rows, in time order. A new pin
    ends the one before it; pinning the product that is already up (starting its flash
    sale re-announces the pin) continues it; the show's end ends the last one."""
    pins: list[Pin] = []
    current: tuple[int, str, int] | None = None

    def close(at: int) -> None:
        if current is not None and at > current[2]:
            pins.append(Pin(show.show_id, current[0], current[1], current[2], at))

    for kind, offset, payload in sorted(events, key=lambda e: e[1]):
        at = min(max(offset, 0), show.length_ms)
        if kind == LiveEvent.PRODUCT_PINNED:
            pinned = _pinned_product(payload)
            if pinned is None or (current is not None and current[0] == pinned[0]):
                continue
            close(at)
            current = (pinned[0], pinned[1], at)
        elif kind == LiveEvent.PRODUCT_UNPINNED:
            close(at)
            current = None
    close(show.length_ms)
    return pins


def pinned_at(pins: Sequence[Pin], offset_ms: int) -> Pin | None:
    return next((p for p in pins if p.covers(offset_ms)), None)


def clip_visit(
    show: ShowSpan, viewer_key: str, joined: dt.datetime, left: dt.datetime | None
) -> Visit | None:
    """A presence row as offsets within the show; None when it lies outside it."""
    start = max(0, show.offset_of(joined))
    end = show.length_ms if left is None else min(show.length_ms, show.offset_of(left))
    return Visit(viewer_key, start, end) if end > start else None


def busiest_per_minute(series: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(minute, most viewers in it) from (offset, viewers) samples: the chart as a table."""
    peaks: dict[int, int] = {}
    for offset, viewers in series:
        minute = offset // MINUTE_MS
        peaks[minute] = max(viewers, peaks.get(minute, 0))
    return sorted(peaks.items())
