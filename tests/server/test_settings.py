"""Settings: one declaration per variable, refused values named, the README kept in step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.settings import SETTINGS, Secret, Settings, SettingsError, readme_table

README = Path(__file__).resolve().parents[2] / "README.md"
TABLE_START = "<!-- settings table:"
TABLE_END = "<!-- end of the settings table -->"


def _readme_rows() -> dict[str, str]:
    """Variable → documented default, from the README's settings table."""
    text = README.read_text(encoding="utf-8")
    table = text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]
    rows: dict[str, str] = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[1]
    return rows


def test_the_readme_documents_every_variable_with_its_default() -> None:
    documented = _readme_rows()
    declared = {s.env: s.documented_default() for s in SETTINGS.values()}
    assert sorted(set(declared) - set(documented)) == [], "missing from README.md"
    assert sorted(set(documented) - set(declared)) == [], "in README.md but not declared"
    wrong = {env: (documented[env], default) for env, default in declared.items()}
    assert {env: pair for env, pair in wrong.items() if pair[0] != pair[1]} == {}
    # The descriptions too: `make settings-doc` rewrites the table.
    text = README.read_text(encoding="utf-8")
    assert readme_table() in text, "README.md's settings table is stale: make settings-doc"


def test_the_variables_the_issue_named_are_declared() -> None:
    names = {s.env for s in SETTINGS.values()}
    for env in (
        "DEFAULT_LOCALE",
        "MAX_VIEWERS_PER_SHOW",
        "PUBLISHER_GRACE_SECONDS",
        "CHAT_BATCH_MS",
        "CHAT_REDIS_PREFIX",
        "STRIPE_API_BASE",
        "LOCALSTRIPE_PORT",
    ):
        assert env in names


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "abc"}, "PORT must be a whole number from 1 to 65535, not 'abc'"),
        ({"PORT": "0"}, "PORT must be a whole number from 1 to 65535, not '0'"),
        ({"JANGTEO_ENV": "prod"}, "JANGTEO_ENV must be one of development, test, production"),
        ({"CHAT_BATCH_MS": "fast"}, "CHAT_BATCH_MS must be a whole number of at least 1"),
        ({"PUBLISHER_GRACE_SECONDS": "-5"}, "PUBLISHER_GRACE_SECONDS must be a number of at least"),
        ({"PUBLISHER_GRACE_SECONDS": "nan"}, "PUBLISHER_GRACE_SECONDS must be a number"),
        ({"MAX_VIEWERS_PER_SHOW": "1.5"}, "MAX_VIEWERS_PER_SHOW must be a whole number"),
        ({"RUN_MIGRATIONS": "maybe"}, "RUN_MIGRATIONS must be true or false, not 'maybe'"),
        ({"DEFAULT_LOCALE": "fr"}, "DEFAULT_LOCALE must be one of ko, en, not 'fr'"),
        ({"PUBLIC_URL": "shop.example"}, "PUBLIC_URL must be an http:// or https:// URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must be a redis://, rediss:// or unix://"),
        ({"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL must be a sqlite:/// or postgresql://"),
        ({"LOCALSTRIPE_PORT": "99999"}, "LOCALSTRIPE_PORT must be a whole number from 0 to"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_it_must_be(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_mapping(env)
    assert str(refused.value).startswith(message)


def test_refusals_never_repeat_a_password() -> None:
    for env in (
        {"SMTP_URL": "smtp://mail:hunter2@:notaport"},
        {"DATABASE_URL": "mysql://app:hunter2@db/shop"},
        {"REDIS_URL": "http://:hunter2@cache"},
    ):
        with pytest.raises(SettingsError) as refused:
            Settings.from_mapping(env)
        assert "hunter2" not in str(refused.value)
        assert str(refused.value).startswith(next(iter(env)))


def test_values_are_read_and_typed() -> None:
    settings = Settings.from_mapping(
        {
            "PORT": " 9000 ",
            "RUN_MIGRATIONS": "off",
            "PUBLISHER_GRACE_SECONDS": "2.5",
            "PUBLIC_URL": "https://live.jangteo.kr/",
            "SMTP_URL": "smtp://mail:hunter2@mail.example:587?from=live@jangteo.kr",
            "DATABASE_URL": "sqlite:///shop.db",
        }
    )
    assert settings.port == 9000 and settings.run_migrations is False
    assert settings.publisher_grace_seconds == 2.5
    assert settings.public_url == "https://live.jangteo.kr" and settings.secure_cookies
    assert settings.database_url == "sqlite+aiosqlite:///shop.db"
    assert isinstance(settings.smtp_url, Secret) and "hunter2" not in repr(settings)


def test_unset_and_empty_take_the_defaults_some_worked_out_from_others() -> None:
    plain = Settings.from_mapping({"PORT": "", "CHAT_BATCH_MS": "  "})
    assert (plain.port, plain.chat_batch_ms, plain.max_viewers_per_show) == (8080, 100, 500)
    derived = Settings.from_mapping(
        {"DATA_DIR": "/srv/jangteo", "PORT": "9100", "LOCALSTRIPE_PORT": "9420"}
    )
    assert derived.database_url == "sqlite+aiosqlite:////srv/jangteo/jangteo.db"
    assert derived.public_url == "http://127.0.0.1:9100"
    assert derived.localstripe_port == 9420 and derived.stripe_api_base == ""
    with_stripe = Settings.from_mapping({"STRIPE_SECRET_KEY": "sk_live_x"})
    assert with_stripe.stripe_api_base == "" and not with_stripe.uses_localstripe


def test_keyword_construction_keeps_the_declared_defaults() -> None:
    settings = Settings(environment="test", database_url="sqlite+aiosqlite:///t.db")
    assert settings.port == 8080 and settings.chat_redis_prefix == "jangteo:chat:"
    changed = settings.with_(max_viewers_per_show=2)
    assert changed.max_viewers_per_show == 2 and settings.max_viewers_per_show == 500
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        settings.with_(environment="production")


def test_the_cli_prints_one_line_and_stops(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "PORT": "abc"}
    result = subprocess.run(
        [sys.executable, "-m", "server", "migrate"],
        env=env,
        cwd=tmp_path,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "configuration error: PORT must be a whole number from 1 to 65535, not 'abc'"
    ]
    assert not (tmp_path / "jangteo.db").exists()
