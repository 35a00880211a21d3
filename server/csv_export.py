"""The one CSV writer of every export (orders, show numbers, the platform's figures,
the insights' tables).

A spreadsheet runs a cell that starts with = + - @ (or a tab, a carriage return or a
line feed; or their full-width forms, which Korean and Japanese spreadsheets read as
the same signs) as a formula: a store named `=HYPERLINK(...)` would become a live link
in the operator's platform export. Such a text cell gets a leading apostrophe, which
spreadsheets show as text. Numbers stay numbers: a negative change is data, not a
formula. Files are UTF-8 with a byte-order mark, so spreadsheet programs read Korean
text right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from aiohttp import web

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
BOM = "\ufeff"
Cell = str | int | float | None


def safe_cell(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return (BOM + buffer.getvalue()).encode()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> web.Response:
    """A CSV download. The file name may be Korean (a store's slug): RFC 6266's
    `filename*` carries it, with an ASCII `filename` for older clients."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return web.Response(
        body=csv_bytes(header, rows),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": disposition},
    )
