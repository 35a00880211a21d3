"""Who stays: how long viewers keep watching after they join, the moments they leave,
and how many come back from an earlier show of the store.

A viewer's visits less than `RECONNECT_MS` apart are one stay (a phone that drops and
reconnects has not left). The retention curve is a Kaplan–Meier estimate over each
viewer's first stay: someone still watching when the show ended has not left, they only
could not be watched for longer, so they count up to the end and no further.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from server.analytics.insights.timeline import MINUTE_MS, Pin, ShowSpan, Visit, pinned_at

RECONNECT_MS = 60_000
# Leaving in the last half-minute is leaving because the show ended.
END_MARGIN_MS = 30_000
TOP_DEPARTURES = 3


def stays(visits: Sequence[Visit]) -> dict[str, list[tuple[int, int]]]:
    """Each viewer's stays, oldest first, with visits close together joined up."""
    by_viewer: dict[str, list[tuple[int, int]]] = {}
    for visit in sorted(visits, key=lambda v: (v.viewer_key, v.joined_ms)):
        spans = by_viewer.setdefault(visit.viewer_key, [])
        if spans and visit.joined_ms - spans[-1][1] <= RECONNECT_MS:
            spans[-1] = (spans[-1][0], max(spans[-1][1], visit.left_ms))
        else:
            spans.append((visit.joined_ms, visit.left_ms))
    return by_viewer


@dataclass(frozen=True)
class RetentionPoint:
    minute: int
    share: float  # of the viewers, still watching `minute` minutes after joining
    at_risk: int  # viewers who could still be watched that long


def _survival(durations: Sequence[tuple[int, bool]]) -> list[tuple[int, float]]:
    """Kaplan–Meier steps (duration, share still watching after it) from each viewer's
    (how long they stayed, whether they left before the end)."""
    at_risk, share, steps = len(durations), 1.0, []
    for duration, group in groupby(sorted(durations), key=lambda d: d[0]):
        same = list(group)
        left = sum(1 for _, gone in same if gone)
        if left:
            share *= 1 - left / at_risk
            steps.append((duration, share))
        at_risk -= len(same)
    return steps


def retention_curve(show: ShowSpan, visits: Sequence[Visit], step: int = 1) -> list[RetentionPoint]:
    durations = [
        (end - start, end < show.length_ms - END_MARGIN_MS)
        for start, end in (spans[0] for spans in stays(visits).values())
    ]
    if not durations:
        return []
    lengths = sorted(d for d, _ in durations)
    steps = _survival(durations)
    points = []
    for minute in range(0, lengths[-1] // MINUTE_MS + 1, step):
        limit = minute * MINUTE_MS
        # Staying exactly `limit` is still watching at `limit`: only earlier exits count.
        share = next((s for d, s in reversed(steps) if d < limit), 1.0)
        still = len(lengths) - bisect_left(lengths, limit)
        points.append(RetentionPoint(minute, round(share, 4), still))
    return points


@dataclass(frozen=True)
class Departure:
    minute: int  # show time, in whole minutes
    viewers_left: int
    watching: int  # viewers watching at the start of that minute
    pinned: str  # the product pinned at that moment, "" when none


def watching_at(all_stays: dict[str, list[tuple[int, int]]], offset_ms: int) -> int:
    return sum(1 for spans in all_stays.values() if any(s <= offset_ms < e for s, e in spans))


def departures(
    show: ShowSpan, visits: Sequence[Visit], pins: Sequence[Pin], top: int = TOP_DEPARTURES
) -> list[Departure]:
    """The minutes in which most viewers left (not counting the show's end), busiest
    first; ties go to the earlier minute."""
    all_stays = stays(visits)
    leaving: Counter[int] = Counter(
        end // MINUTE_MS
        for spans in all_stays.values()
        for _, end in spans
        if end < show.length_ms - END_MARGIN_MS
    )
    busiest = sorted(leaving.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    out = []
    for minute, count in busiest:
        at = minute * MINUTE_MS
        pin = pinned_at(pins, at + MINUTE_MS // 2)
        out.append(Departure(minute, count, watching_at(all_stays, at), pin.name if pin else ""))
    return out


def leaving_per_minute(show: ShowSpan, visits: Sequence[Visit]) -> list[tuple[int, int]]:
    """(minute, viewers who left in it) for every minute of the show, for the table."""
    leaving: Counter[int] = Counter(
        end // MINUTE_MS
        for spans in stays(visits).values()
        for _, end in spans
        if end < show.length_ms - END_MARGIN_MS
    )
    return [(m, leaving[m]) for m in range(int(show.length_ms // MINUTE_MS) + 1)]


@dataclass(frozen=True)
class Returning:
    show_id: int
    viewers: int
    returning: int  # watched an earlier show of this store

    @property
    def share(self) -> float:
        return self.returning / self.viewers if self.viewers else 0.0


def returning_viewers(shows_oldest_first: Sequence[tuple[int, set[str]]]) -> list[Returning]:
    """For each show (with its viewers), how many had watched an earlier one."""
    seen: set[str] = set()
    out = []
    for show_id, viewers in shows_oldest_first:
        out.append(Returning(show_id, len(viewers), len(viewers & seen)))
        seen |= viewers
    return out
