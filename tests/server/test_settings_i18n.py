"""Settings validation, secrets, formatting and the completeness of the Korean catalog."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from server.i18n import TRANSLATIONS_DIR, Catalogs, format_krw, format_seoul, parse_seoul_input
from server.settings import DEV_SECRET, Secret, Settings, SettingsError


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_mapping({"JANGTEO_ENV": "production"})
    ok = Settings.from_mapping({"JANGTEO_ENV": "production", "SECRET_KEY": "x" * 40})
    assert ok.secret_key.reveal() == "x" * 40


def test_secrets_never_print() -> None:
    settings = Settings.from_mapping(
        {"SECRET_KEY": "hunter2-hunter2", "STRIPE_SECRET_KEY": "sk_live_abc"}
    )
    assert "hunter2" not in repr(settings) and "sk_live_abc" not in repr(settings)
    assert str(Secret("abc")) == "Secret('**********')"


def test_settings_defaults_and_urls(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=postgres://u@h/db\nPORT=9000\n", encoding="utf-8")
    settings = Settings.from_env({}, env_file=env_file)
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert settings.public_url == "http://127.0.0.1:9000"
    # No keys: localstripe is started beside the server (its URL is known only then).
    assert settings.uses_localstripe and settings.stripe_api_base == ""
    assert settings.localstripe_port == 0
    default = Settings.from_mapping({})
    assert default.database_url == "sqlite+aiosqlite:///var/jangteo.db"
    assert default.secret_key.reveal() == DEV_SECRET
    with pytest.raises(SettingsError, match="ICE_SERVERS"):
        Settings.from_mapping({"ICE_SERVERS": '["stun:x"]'})
    ice = Settings.from_mapping({"ICE_SERVERS": '[{"urls": "stun:stun.example:3478"}]'})
    assert ice.ice_servers == ({"urls": "stun:stun.example:3478"},)


def test_krw_and_seoul_time() -> None:
    assert format_krw(15000) == "₩15,000"
    assert format_krw(0) == "₩0"
    assert format_krw(-2500) == "-₩2,500"
    evening = dt.datetime(2026, 11, 21, 10, 30, tzinfo=dt.UTC)  # 19:30 in Seoul
    assert format_seoul(evening, "ko") == "11월 21일 (토) 오후 7:30"
    assert format_seoul(evening, "en") == "Sat, Nov 21, 7:30 PM"
    parsed = parse_seoul_input("2026-11-21T19:30")
    assert parsed == evening
    assert parse_seoul_input("not a time") is None


def test_every_source_string_has_a_korean_translation() -> None:
    untranslated = []
    for po_path in sorted((TRANSLATIONS_DIR / "ko" / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale="ko")
        for message in catalog:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and not all(strings):
                untranslated.append(f"{po_path.name}: {message.id!r}")
    assert untranslated == []


def test_catalogs_are_up_to_date_with_the_source() -> None:
    """Running `make messages` would not add any string: nothing shows up untranslated."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "messages", Path(__file__).resolve().parents[2] / "scripts" / "messages.py"
    )
    assert spec and spec.loader
    messages = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(messages)
    translated = set()
    for po_path in (TRANSLATIONS_DIR / "ko" / "LC_MESSAGES").glob("*.po"):
        with po_path.open("rb") as fh:
            translated |= {m.id for m in read_po(fh, locale="ko") if m.id and m.string}
    missing = [
        f"{package}: {message.id!r}"
        for package in messages.PACKAGES
        for message in messages.extract(package)
        if message.id and message.id not in translated
    ]
    assert missing == []
    assert Catalogs().get("ko").gettext("Sign in") == "로그인"
