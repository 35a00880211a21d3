"""Markets from a CSV file: every row is checked first, and the file is imported whole
or not at all, with each problem named by its line and column.

Columns (a header row first; English or Korean names, in any order):

| column | Korean | required | what |
|---|---|---|---|
| name | 이름 | yes | the market's name, 1–120 characters |
| province | 시도 | yes | 시/도, short or full ("서울" or "서울특별시") |
| district | 시군구 | yes | 시/군/구, 1–40 characters ("마포구") |
| address | 주소 | no | street address |
| description | 소개 | no | the market's character |
| specialities | 특산물 | no | comma-separated inside the quoted cell: "떡, 반찬" |
| opening_days | 장날 | no | free text: "매일" or "2·7일 오일장" |
| latitude | 위도 | no | decimal degrees, 33–39 (with longitude) |
| longitude | 경도 | no | decimal degrees, 124–132 (with latitude) |

A market with the same 시/도, 시/군/구 and name as one already listed is updated; its
photo is kept. The file may be UTF-8 (with or without a BOM) or CP949, as Korean
spreadsheets save it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import N_
from server.markets.errors import ImportRejected
from server.markets.models import Market
from server.markets.regions import normalise_province
from server.markets.service import unique_slug

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
COLUMNS = (
    "name",
    "province",
    "district",
    "address",
    "description",
    "specialities",
    "opening_days",
    "latitude",
    "longitude",
)
REQUIRED = ("name", "province", "district")
KOREAN_HEADERS = {
    "이름": "name",
    "시장명": "name",
    "시도": "province",
    "시/도": "province",
    "시군구": "district",
    "시/군/구": "district",
    "주소": "address",
    "소개": "description",
    "특산물": "specialities",
    "주요품목": "specialities",
    "장날": "opening_days",
    "영업일": "opening_days",
    "위도": "latitude",
    "경도": "longitude",
}
LIMITS = {"name": 120, "district": 40, "address": 255, "opening_days": 200}
BOUNDS = {"latitude": (33.0, 39.0), "longitude": (124.0, 132.0)}


@dataclass(frozen=True)
class Problem:
    line: int
    column: str  # as written in the file's header; "" for the file as a whole
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def translate(self, gettext: Any) -> str:
        text: str = gettext(self.template)
        return text % self.params if self.params else text


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0


@dataclass(frozen=True)
class MarketRow:
    line: int
    values: dict[str, Any]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.values["province"], self.values["district"], self.values["name"])


class ImportFailed(ImportRejected):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(count=len(problems))


def decode(data: bytes) -> str:
    if b"\x00" in data:  # a NUL decodes, but no database column can store it
        raise ImportFailed(
            [Problem(0, "", N_("The file is neither UTF-8 nor CP949 text. Save it as CSV UTF-8."))]
        )
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFailed(
        [Problem(0, "", N_("The file is neither UTF-8 nor CP949 text. Save it as CSV UTF-8."))]
    )


def _header(names: list[str]) -> tuple[dict[str, str], list[Problem]]:
    """Our column for each header cell as written, and what is wrong with the header."""
    problems: list[Problem] = []
    columns: dict[str, str] = {}
    for written in names:
        name = written.strip()
        column = KOREAN_HEADERS.get(name, name.lower())
        if column not in COLUMNS:
            problems.append(Problem(1, name, N_("Unknown column “%(column)s”."), {"column": name}))
        elif column in columns.values():
            problems.append(
                Problem(1, name, N_("The column “%(column)s” appears twice."), {"column": name})
            )
        else:
            columns[written] = column
    for column in REQUIRED:
        if column not in columns.values():
            problems.append(
                Problem(
                    1,
                    column,
                    N_("The required column “%(column)s” is missing."),
                    {"column": column},
                )
            )
    return columns, problems


def _number(raw: str, column: str) -> float | str:
    """A coordinate, or the template of what is wrong with it."""
    try:
        value = float(raw)
    except ValueError:
        return N_("Write a decimal number such as 37.5558.")
    low, high = BOUNDS[column]
    if not low <= value <= high:
        return N_("Must lie between %(low)s and %(high)s (in Korea).")
    return value


def _check_row(
    line: int, raw: dict[str, str], names: dict[str, str]
) -> tuple[dict[str, Any], list[Problem]]:
    written = {column: header for header, column in names.items()}
    values: dict[str, Any] = {c: (raw.get(written.get(c, ""), "") or "").strip() for c in COLUMNS}
    problems: list[Problem] = []

    def problem(column: str, template: str, **params: Any) -> None:
        problems.append(Problem(line, written.get(column, column), template, params))

    for column in REQUIRED:
        if not values[column]:
            problem(column, N_("This column must not be empty."))
    for column, limit in LIMITS.items():
        if len(values[column]) > limit:
            problem(column, N_("At most %(limit)d characters."), limit=limit)
    if values["province"]:
        province = normalise_province(values["province"])
        if province is None:
            problem(
                "province",
                N_("“%(value)s” is not a 시/도 (e.g. 서울, 경기, 전남)."),
                value=values["province"],
            )
        values["province"] = province or ""
    for column in ("latitude", "longitude"):
        if values[column]:
            number = _number(values[column], column)
            if isinstance(number, str):
                low, high = BOUNDS[column]
                problem(column, number, low=low, high=high)
            values[column] = number
        else:
            values[column] = None
    if (values["latitude"] is None) != (values["longitude"] is None) and not problems:
        problem(
            "longitude" if values["longitude"] is None else "latitude",
            N_("Give both latitude and longitude, or neither."),
        )
    return values, problems


def parse(data: bytes) -> list[MarketRow]:
    """Every row of the file, checked; ImportFailed lists every problem found."""
    if len(data) > MAX_BYTES:
        raise ImportFailed([Problem(0, "", N_("The file is larger than 2 MB."))])
    reader = csv.DictReader(io.StringIO(decode(data), newline=""))
    if not reader.fieldnames:
        raise ImportFailed([Problem(1, "", N_("The file is empty: it needs a header row."))])
    names, problems = _header(list(reader.fieldnames))
    if problems:
        raise ImportFailed(problems)
    rows: list[MarketRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for raw in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue  # a blank line
        if None in raw:
            problems.append(Problem(line, "", N_("This line has more cells than the header.")))
            continue
        values, row_problems = _check_row(line, raw, names)
        problems.extend(row_problems)
        row = MarketRow(line, values)
        if not row_problems and row.key in seen:
            problems.append(
                Problem(
                    line,
                    _written(names, "name"),
                    N_("The same market is on line %(first)d."),
                    {"first": seen[row.key]},
                )
            )
        seen.setdefault(row.key, line)
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise ImportFailed(
                [Problem(line, "", N_("At most %(n)d markets in one file."), {"n": MAX_ROWS})]
            )
    if problems:
        raise ImportFailed(problems)
    if not rows:
        raise ImportFailed([Problem(2, "", N_("The file has a header but no market."))])
    return rows


def _written(names: dict[str, str], column: str) -> str:
    return next((h for h, c in names.items() if c == column), column)


async def import_markets(session: AsyncSession, data: bytes) -> ImportReport:
    """Check the whole file, then create or update its markets in the caller's
    transaction. Nothing is written when any row is wrong."""
    rows = parse(data)
    existing = {(m.province, m.district, m.name): m for m in await session.scalars(select(Market))}
    report = ImportReport()
    for row in rows:
        market = existing.get(row.key)
        if market is None:
            market = Market(slug=await unique_slug(session, *row.key))
            session.add(market)
            existing[row.key] = market
            report.created += 1
        else:
            report.updated += 1
        for column in COLUMNS:
            setattr(market, column, row.values[column])
        await session.flush()
    return report
