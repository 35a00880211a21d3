"""사업자등록번호: ten digits, the last a check digit over the first nine."""

from __future__ import annotations

import re

from server.settings_casts import Cast

WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def normalize(raw: str) -> str:
    """The ten digits of a number written with or without hyphens/spaces ("" if not ten)."""
    digits = re.sub(r"[\s-]", "", raw)
    return digits if re.fullmatch(r"\d{10}", digits) else ""


def is_valid(raw: str) -> bool:
    digits = normalize(raw)
    if not digits:
        return False
    d = [int(c) for c in digits]
    total = sum(x * w for x, w in zip(d, WEIGHTS, strict=False))
    # The ninth digit counts a second time: its weight-5 product's tens digit.
    total += (d[8] * 5) // 10
    return (10 - total % 10) % 10 == d[9]


def with_check_digit(first_nine: str) -> str:
    """The full number for nine digits (demo data and tests make valid numbers this way)."""
    for last in "0123456789":
        if is_valid(first_nine + last):
            return first_nine + last
    raise ValueError(first_nine)  # pragma: no cover - every nine digits have one


def formatted(raw: str) -> str:
    """As Koreans write it: 123-45-67890."""
    digits = normalize(raw)
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if digits else raw


def _setting(raw: str) -> str:
    if not is_valid(raw):
        raise ValueError(raw)
    return formatted(raw)


# For the platform's own number in the settings: refused at start if the check digit fails.
BUSINESS_NUMBER = Cast("ten digits (123-45-67890) with a valid check digit", _setting)
