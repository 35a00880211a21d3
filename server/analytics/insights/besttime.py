"""The best time to go live: viewers and orders per show by weekday and hour (Asia/Seoul)
across other stores, with the merchant's own shows beside them.

Every figure of other stores obeys the k ≥ 5 rule cell by cell: a cell, a weekday or an
hour shows its average only when shows of at least five other stores fall into it. Hours
are grouped into blocks of one, two or three; by default the finest block that lets at
least half of the other stores' shows be seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from server.analytics.insights.peers import PeerGroup, enough_stores
from server.analytics.insights.records import PastShow
from server.i18n import SEOUL

BLOCKS = (1, 2, 3)
DEFAULT_HOURS = (9, 22)  # the rows shown when there is no show at all


@dataclass
class Tally:
    """Shows summed into one cell, weekday or hour."""

    shows: int = 0
    stores: set[int] = field(default_factory=set)
    viewers: int = 0
    orders: int = 0

    def add(self, show: PastShow) -> None:
        self.shows += 1
        self.stores.add(show.store_id)
        self.viewers += show.peak_viewers
        self.orders += show.orders

    @property
    def visible(self) -> bool:
        return self.shows > 0 and enough_stores(self.stores)

    @property
    def mean_viewers(self) -> float | None:
        return round(self.viewers / self.shows, 1) if self.visible else None

    @property
    def mean_orders(self) -> float | None:
        return round(self.orders / self.shows, 1) if self.visible else None

    @property
    def rank(self) -> tuple[float, float]:
        """Orders per show, then viewers per show: what "best" means here."""
        return (self.orders / self.shows, self.viewers / self.shows) if self.shows else (0, 0)


@dataclass
class OwnTally:
    """The merchant's own shows in a cell: their own figures, always shown to them."""

    shows: int = 0
    viewers: int = 0
    orders: int = 0

    @property
    def mean_viewers(self) -> float | None:
        return round(self.viewers / self.shows, 1) if self.shows else None

    @property
    def mean_orders(self) -> float | None:
        return round(self.orders / self.shows, 1) if self.shows else None


@dataclass
class Cell:
    weekday: int  # Monday 0
    hour: int  # the block's first hour
    peers: Tally = field(default_factory=Tally)
    own: OwnTally = field(default_factory=OwnTally)


@dataclass
class Heatmap:
    group: PeerGroup
    block: int
    hours: list[int]
    cells: dict[tuple[int, int], Cell]
    by_weekday: list[Tally]
    by_hour: dict[int, Tally]

    def cell(self, weekday: int, hour: int) -> Cell:
        return self.cells.get((weekday, hour)) or Cell(weekday, hour)

    @property
    def peer_shows(self) -> int:
        return sum(c.peers.shows for c in self.cells.values())

    @property
    def visible_cells(self) -> list[Cell]:
        return [c for c in self.cells.values() if c.peers.visible]

    @property
    def best(self) -> Cell | None:
        """The visible cell with the most orders per show (then viewers)."""
        return max(self.visible_cells, key=lambda c: c.peers.rank, default=None)

    @property
    def own_shows(self) -> int:
        return sum(c.own.shows for c in self.cells.values())


def slot_of(show: PastShow, block: int) -> tuple[int, int]:
    local = show.plan.starts_at.astimezone(SEOUL)
    return local.weekday(), local.hour - local.hour % block


def _tally(
    shows: Sequence[PastShow], own_store_id: int, group: PeerGroup, block: int
) -> dict[tuple[int, int], Cell]:
    cells: dict[tuple[int, int], Cell] = {}
    for show in shows:
        key = slot_of(show, block)
        if show.store_id == own_store_id:
            cell = cells.setdefault(key, Cell(*key))
            cell.own.shows += 1
            cell.own.viewers += show.peak_viewers
            cell.own.orders += show.orders
        elif show.store_id in group.store_ids:
            cells.setdefault(key, Cell(*key)).peers.add(show)
    return cells


def _covered_share(cells: dict[tuple[int, int], Cell]) -> float:
    total = sum(c.peers.shows for c in cells.values())
    seen = sum(c.peers.shows for c in cells.values() if c.peers.visible)
    return seen / total if total else 0.0


def choose_block(shows: Sequence[PastShow], own_store_id: int, group: PeerGroup) -> int:
    for block in BLOCKS:
        if _covered_share(_tally(shows, own_store_id, group, block)) >= 0.5:
            return block
    return BLOCKS[-1]


def heatmap(
    shows: Sequence[PastShow], own_store_id: int, group: PeerGroup, block: int | None = None
) -> Heatmap:
    """`group` decides whose shows are compared; a group of fewer than five other
    stores shows nothing of theirs, only the merchant's own shows."""
    counted = group if group.enough else PeerGroup(group.scope, frozenset(), group.label)
    block = block if block in BLOCKS else choose_block(shows, own_store_id, counted)
    cells = _tally(shows, own_store_id, counted, block)
    hours_seen = sorted({hour for _, hour in cells})
    first, last = (hours_seen[0], hours_seen[-1]) if hours_seen else DEFAULT_HOURS
    first -= first % block
    by_weekday = [Tally() for _ in range(7)]
    by_hour: dict[int, Tally] = {}
    for show in shows:
        if show.store_id != own_store_id and show.store_id in counted.store_ids:
            weekday, hour = slot_of(show, block)
            by_weekday[weekday].add(show)
            by_hour.setdefault(hour, Tally()).add(show)
    return Heatmap(
        group=group,
        block=block,
        hours=list(range(first, last + 1, block)),
        cells=cells,
        by_weekday=by_weekday,
        by_hour=by_hour,
    )


def best_of(tallies: dict[int, Tally]) -> int | None:
    """The key whose visible tally has the most orders per show."""
    visible = {k: t for k, t in tallies.items() if t.visible}
    return max(visible, key=lambda k: visible[k].rank, default=None)
