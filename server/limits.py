"""What the edge accepts, declared once: ids, text lengths, body sizes, image pixels.

The edge (`server/inputs.py`) checks every text field of every form and JSON body against
`text_limit(field)` before a handler runs, so no request can store megabytes in a field
(a refund policy is copied into every order). Services keep their own, stricter rules
(a product name of 1 to 120 characters); these limits are the floor under all of them,
and a new field is limited by `DEFAULT_TEXT` until it is declared here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Ids are INTEGER (32-bit) on PostgreSQL; a larger one names nothing.
MAX_ID = 2**31 - 1

# A JSON body is a small object; uploads go through multipart forms, not JSON.
MAX_JSON_BYTES = 256 * 1024
MAX_JSON_DEPTH = 16

# Pillow decodes the whole bitmap: 25 megapixels is a 100 MB RGBA image at most.
MAX_IMAGE_PIXELS = 25_000_000

# Dates a person can mean: beyond these, date arithmetic (an end time, a calendar
# month) overflows Python's datetime and the database.
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100

DEFAULT_TEXT = 500
TEXT_LIMITS: Mapping[str, int] = MappingProxyType(
    {
        # long, written by people
        "description": 5000,
        "refund_policy": 5000,
        "bio": 2000,
        "prepare": 2000,
        "comment": 2000,
        "message": 2000,
        "note": 2000,
        "reason": 1000,
        "variants": 2000,
        # URLs and secrets
        "next": 2000,
        "password": 1024,
        "card_token": 255,
        "email": 254,
        # names and short lines
        "title": 120,
        "name": 120,
        "store_name": 120,
        "product_name": 120,
        "display_name": 120,
        "market": 120,
        "region": 120,
        "place": 255,
        "address": 200,
        "address_detail": 200,
        "tracking_number": 40,
        "phone": 30,
        "postcode": 10,
    }
)


def text_limit(field: str) -> int:
    """The most characters the edge accepts in a field of this name."""
    return TEXT_LIMITS.get(field, DEFAULT_TEXT)


def is_whole(text: str, most: int = MAX_ID) -> bool:
    """ASCII digits naming a number from 0 to `most`: safe to `int()` and to store.
    (`str.isdigit` alone accepts "²", which `int` refuses, and numbers of any size.)"""
    return text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= most
