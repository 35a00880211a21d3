"""Korean search over markets: whole words, parts of syllables ("망ㅇ") and initial
consonants ("ㅁㅇ" finds 망원시장).

The matching is hangulpy's (`HangulSearcher`, a port of es-hangul's `hangulIncludes` and
initial-consonant search): it decomposes both sides into jamo, so a syllable still being
typed matches, and a pattern of consonants alone is compared with the initials. Every
word of the query has to match one of the market's name, district, address or
specialities.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hangulpy import HangulSearcher

from server.markets.models import Market


def _fields(market: Market) -> tuple[str, ...]:
    # Each speciality and each word of the address on its own: initials run across
    # the spaces and commas of one field ("어묵, 유부" would answer ㅁㅇ).
    return (
        market.name.lower(),
        market.district.lower(),
        *market.address.lower().split(),
        *(s.lower() for s in market.speciality_list),
    )


def _searchers(query: str) -> list[HangulSearcher]:
    return [HangulSearcher(word) for word in query.lower().split()]


def _every_word_found(searchers: Sequence[HangulSearcher], fields: Sequence[str]) -> bool:
    return all(any(s.search(field) for field in fields) for s in searchers)


def matches(query: str, market: Market) -> bool:
    return _every_word_found(_searchers(query), _fields(market))


def search(query: str, markets: Iterable[Market]) -> list[Market]:
    """Markets matching every word of `query`, names matching first; all if it is blank."""
    listed = list(markets)
    searchers = _searchers(query)
    if not searchers:
        return listed
    found = [m for m in listed if _every_word_found(searchers, _fields(m))]
    # sorted() is stable: within each group the caller's order (by region) stays.
    return sorted(found, key=lambda m: not _every_word_found(searchers, (m.name.lower(),)))
