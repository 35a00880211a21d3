"""Checks on what clients send: a JSON object with exactly the expected fields.

A field the client may not set (an author, a user id on a message) is refused rather
than ignored, so a spoofing attempt is visible as an error, not silently dropped. Text
is checked here, at the edge, for characters no page can show or database store (a
lone surrogate, NUL): such a string never reaches a rule, a window or a table.
"""

from __future__ import annotations

from typing import Any

from chat.errors import BadPayload
from chat.text import check_characters

MAX_STRING = 2000  # longer strings are refused before any other rule looks at them


def read(
    data: Any, required: dict[str, type], optional: dict[str, type] | None = None
) -> dict[str, Any]:
    optional = optional or {}
    if not isinstance(data, dict):
        raise BadPayload()
    unknown = set(data) - set(required) - set(optional)
    if unknown or not set(required) <= set(data):
        raise BadPayload()
    out: dict[str, Any] = {}
    for name, value in data.items():
        expected = required.get(name) or optional[name]
        # bool is an int in Python; a JSON true is no show id.
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise BadPayload()
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise BadPayload()
            check_characters(value)
        if isinstance(value, int) and not 0 <= value < 2**31:
            raise BadPayload()
        out[name] = value
    return out
