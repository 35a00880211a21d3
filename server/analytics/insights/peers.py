"""Stores like the merchant's, and the rule that protects every merchant: a platform or
peer figure is only shown when it sums up at least `MIN_STORES` other stores.

Stores carry their market as free text today (name and region). `market_key` is the
one place that turns a store into its market's key; when stores point at a market entity
it returns that entity's id instead and nothing else here changes.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from server.errors import N_

MIN_STORES = 5


class Scope(enum.StrEnum):
    PLATFORM = "platform"
    MARKET = "market"
    CATEGORY = "category"


SCOPE_LABELS = {
    Scope.PLATFORM: N_("All stores"),
    Scope.MARKET: N_("Same market"),
    Scope.CATEGORY: N_("Same category"),
}


@dataclass(frozen=True)
class StoreProfile:
    store_id: int
    market_key: str  # "" when the store names no market
    market_label: str
    category: str  # the store's main product category, "" when none is chosen


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def market_key(market: str, region: str) -> str:
    """Two markets of one name in different regions (there is a 중앙시장 in many towns)
    are different markets, so the region is part of the key."""
    name = _normalised(market)
    return f"{name}|{_normalised(region)}" if name else ""


def market_label(market: str, region: str) -> str:
    market, region = market.strip(), region.strip()
    return f"{market} ({region})" if market and region else market


@dataclass(frozen=True)
class PeerGroup:
    scope: Scope
    # Other stores in the group (never the merchant's own: its figures are compared
    # against the others, and subtracting them from a total could not reveal anyone).
    store_ids: frozenset[int]
    label: str  # the market's name or the category's value; "" for the platform

    @property
    def enough(self) -> bool:
        return len(self.store_ids) >= MIN_STORES


def peer_group(profiles: dict[int, StoreProfile], own_store_id: int, scope: Scope) -> PeerGroup:
    own = profiles.get(own_store_id, StoreProfile(own_store_id, "", "", ""))
    others = (p for p in profiles.values() if p.store_id != own_store_id)
    label = ""
    if scope is Scope.MARKET:
        chosen = {p.store_id for p in others if own.market_key and p.market_key == own.market_key}
        label = own.market_label
    elif scope is Scope.CATEGORY:
        chosen = {p.store_id for p in others if own.category and p.category == own.category}
        label = own.category
    else:
        chosen = {p.store_id for p in others}
    return PeerGroup(scope, frozenset(chosen), label)


def enough_stores(store_ids: Iterable[int]) -> bool:
    """The k-anonymity rule for one figure: it sums up at least `MIN_STORES` stores."""
    return len(set(store_ids)) >= MIN_STORES
