"""Translations from gettext catalogs, locale choice, and KRW / Asia/Seoul formatting.

Catalogs are the `.po` files under `translations/<locale>/LC_MESSAGES/`, one per package
(server.po, chat.po, ...), compiled in memory at start-up so no generated `.mo` file is
kept in the repository.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from server.limits import EARLIEST_YEAR, LATEST_YEAR

LOCALES = ("ko", "en")
LANGUAGE_NAMES = {"ko": "한국어", "en": "English"}
SEOUL = ZoneInfo("Asia/Seoul")
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
LOCALE_COOKIE = "jt_lang"


class Catalogs:
    """All loaded translations, one merged catalog per locale."""

    def __init__(self, directory: Path = TRANSLATIONS_DIR, default: str = "ko") -> None:
        self.default = default if default in LOCALES else "ko"
        self._by_locale: dict[str, NullTranslations] = {}
        for locale in LOCALES:
            merged: NullTranslations = NullTranslations()
            for po_path in sorted((directory / locale / "LC_MESSAGES").glob("*.po")):
                with po_path.open("rb") as fh:
                    catalog = read_po(fh, locale=locale)
                buffer = io.BytesIO()
                write_mo(buffer, catalog)
                buffer.seek(0)
                translations = Translations(fp=buffer)
                if isinstance(merged, Translations):
                    merged.merge(translations)
                else:
                    merged = translations
            self._by_locale[locale] = merged

    def get(self, locale: str) -> NullTranslations:
        return self._by_locale.get(locale) or self._by_locale[self.default]


def pick_locale(cookie: str | None, user_locale: str | None, default: str) -> str:
    for candidate in (cookie, user_locale):
        if candidate is not None and candidate in LOCALES:
            return candidate
    return default


def format_krw(amount: int | None) -> str:
    """KRW has no minor unit: 15000 is ₩15,000."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}₩{abs(amount):,}"


DATETIME_FORMATS = {
    "ko": "M월 d일 (E) {period} h:mm",
    "en": "EEE, MMM d, h:mm a",
}
# CLDR's Korean abbreviated day period is "AM"/"PM"; Korean UIs write 오전/오후.
KO_PERIODS = ("오전", "오후")


def format_seoul(value: dt.datetime | None, locale: str, pattern: str | None = None) -> str:
    if value is None:
        return ""
    pattern = pattern or DATETIME_FORMATS.get(locale, DATETIME_FORMATS["ko"])
    if "{period}" in pattern:
        pattern = pattern.format(period=KO_PERIODS[value.astimezone(SEOUL).hour >= 12])
    return babel_format_datetime(value, format=pattern, tzinfo=SEOUL, locale=Locale.parse(locale))


def to_seoul_input(value: dt.datetime | None) -> str:
    """The value for an <input type=datetime-local>, in Seoul time."""
    if value is None:
        return ""
    return value.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M")


def parse_seoul_input(raw: str) -> dt.datetime | None:
    """Parse an <input type=datetime-local> value as Seoul time; None if malformed."""
    try:
        naive = dt.datetime.strptime(raw.strip(), "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    if not EARLIEST_YEAR <= naive.year <= LATEST_YEAR:
        return None  # year 9999 parses, but its end time would overflow
    return naive.replace(tzinfo=SEOUL).astimezone(dt.UTC)


def template_helpers(locale: str) -> dict[str, Any]:
    return {"locale": locale, "language_names": LANGUAGE_NAMES, "locales": LOCALES}
