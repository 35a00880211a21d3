"""Plain sentences for the top and bottom products ("김장 김치 2kg은 고정했을 때 분당 1.8건
팔렸어요 — 방송 초반에 고정해 보세요"). Each piece of advice is an English template, marked
for the catalogs, and its parameters; the page translates it. Korean needs the topic
particle that fits the product's name (은 after a final consonant, 는 after a vowel), so
the parameters carry the name with its particle too (`name_eun`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from server.analytics.insights.products import ProductInsight
from server.errors import N_

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
# How the last digit reads (영 일 이 삼 사 오 육 칠 팔 구): does it end in a consonant?
DIGIT_HAS_FINAL = dict(zip("0123456789", (1, 1, 0, 1, 0, 0, 1, 1, 1, 0), strict=True))
# Units as they are read: 그램 ends in a consonant, 리터 and 미터 do not.
UNIT_HAS_FINAL = {"kg": True, "g": True, "ml": False, "l": False, "cm": False, "mm": False}
LETTER_HAS_FINAL = set("lmnr")  # 엘 엠 엔 알

BIG_UPLIFT = 1.5
NO_UPLIFT = 1.1
MIN_PINNED_MINUTES = 1.0


def has_final_consonant(word: str) -> bool | None:
    """Whether the word, as read aloud, ends in a consonant; None when unsure."""
    word = word.rstrip(" )]}.,!?·-").strip()
    if not word:
        return None
    last = word[-1]
    if HANGUL_FIRST <= ord(last) <= HANGUL_LAST:
        return (ord(last) - HANGUL_FIRST) % 28 != 0
    if last in DIGIT_HAS_FINAL:
        return bool(DIGIT_HAS_FINAL[last])
    lowered = word.lower()
    for unit, final in UNIT_HAS_FINAL.items():
        if lowered.endswith(unit) and (
            len(lowered) == len(unit) or not lowered[-len(unit) - 1].isalpha()
        ):
            return final
    if last.isascii() and last.isalpha():
        return last.lower() in LETTER_HAS_FINAL
    return None


def with_topic(word: str) -> str:
    final = has_final_consonant(word)
    return word + ("은(는)" if final is None else "은" if final else "는")


@dataclass(frozen=True)
class Advice:
    template: str
    params: dict[str, Any]
    tone: str  # "good" or "try"


def _params(item: ProductInsight, **more: Any) -> dict[str, Any]:
    return {"name": item.name, "name_eun": with_topic(item.name), **more}


def _top(top: ProductInsight) -> Advice:
    rate = top.orders_per_pinned_minute or 0.0
    return Advice(
        N_("%(name)s sold %(rate)s per minute while pinned — try pinning it early in the show."),
        _params(top, rate=f"{rate:.1f}"),
        "good",
    )


def _bottom(items: Sequence[ProductInsight], top: ProductInsight | None) -> Advice | None:
    """The pinned product that earned least per pinned minute (items come ranked)."""
    pinned = [i for i in items if i.minutes_pinned >= MIN_PINNED_MINUTES and i is not top]
    if not pinned:
        return None
    low = pinned[-1]
    return Advice(
        N_(
            "%(name)s was pinned for %(minutes)s minutes and sold %(orders)s — pin it for "
            "less time, or pair it with a flash sale."
        ),
        _params(low, minutes=f"{low.minutes_pinned:g}", orders=len(low.orders_pinned)),
        "try",
    )


def _never_pinned(items: Sequence[ProductInsight]) -> Advice | None:
    unseen = [i for i in items if i.times_pinned == 0 and i.orders]
    if not unseen:
        return None
    best = max(unseen, key=lambda i: i.orders)
    return Advice(
        N_("%(name)s sold %(orders)s without ever being pinned — pin it in your next show."),
        _params(best, orders=best.orders),
        "try",
    )


def _flash_sales(items: Sequence[ProductInsight]) -> list[Advice]:
    out: list[Advice] = []
    measured = [i for i in items if i.uplift is not None]
    if not measured:
        return out
    best = max(measured, key=lambda i: i.uplift or 0)
    if (best.uplift or 0) >= BIG_UPLIFT:
        out.append(
            Advice(
                N_("Flash sales raised the orders of %(name)s %(uplift)s times — run one again."),
                _params(best, uplift=f"{best.uplift:.1f}"),
                "good",
            )
        )
    worst = min(measured, key=lambda i: i.uplift or 0)
    if (worst.uplift or 0) < NO_UPLIFT:
        out.append(
            Advice(
                N_(
                    "A flash sale hardly raised the orders of %(name)s — spend the time on "
                    "showing it instead."
                ),
                _params(worst),
                "try",
            )
        )
    return out


def product_advice(items: Sequence[ProductInsight]) -> list[Advice]:
    """Sentences for the top and bottom products, in the order a merchant reads them."""
    top = next((i for i in items if i.orders_pinned and i.pinned_ms), None)
    found = [
        _top(top) if top else None,
        _bottom(items, top),
        _never_pinned(items),
        *_flash_sales(items),
    ]
    return [a for a in found if a is not None]
