"""A quiet console: the libraries' chatter is off by default (ours stays), and the
browser's favicon request is answered."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from server import logs
from server.settings import Settings, SettingsError
from tests.helpers import AppClient


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger(logs.OURS).level)
    yield
    root.handlers[:], level, ours = saved
    root.setLevel(level)
    logging.getLogger(logs.OURS).setLevel(ours)


def _lines(err: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_library_info_is_quiet_by_default_and_ours_is_not(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure()
    logging.getLogger("aioice.ice").info("Connection(0) Check CandidatePair(...) State.WAITING")
    logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    logging.getLogger("aioice.ice").warning("Connection(0) ICE failed")
    logging.getLogger("jangteo.app").info("request")
    seen = [(line["logger"], line["message"]) for line in _lines(capsys.readouterr().err)]
    assert seen == [("aioice.ice", "Connection(0) ICE failed"), ("jangteo.app", "request")]


def test_the_library_level_is_a_setting(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure(level="WARNING", library_level="INFO")
    logging.getLogger("aioice.ice").info("Connection(0) candidate")
    logging.getLogger("jangteo.app").info("request")
    seen = [line["logger"] for line in _lines(capsys.readouterr().err)]
    assert seen == ["aioice.ice"]


def test_migrate_prints_no_library_chatter(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "JANGTEO_ENV": "development"}
    env.pop("LIBRARY_LOG_LEVEL", None)
    done = subprocess.run(
        [sys.executable, "-m", "server", "migrate"],
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "alembic" not in done.stderr
    assert "database is up to date" in done.stdout


async def test_pages_link_a_favicon_and_favicon_ico_is_served(client: AppClient) -> None:
    home = await client.get("/")
    assert '<link rel="icon" href="/static/favicon.svg"' in await home.text()
    linked = await client.get("/static/favicon.svg")
    assert linked.status == 200 and "<svg" in await linked.text()
    asked = await client.get("/favicon.ico")
    assert asked.status == 200
    assert asked.headers["Content-Type"] == "image/svg+xml"
    assert (await asked.read()).startswith(b"<svg")


def test_log_levels_are_read_in_any_case_and_a_wrong_one_is_named() -> None:
    settings = Settings.from_mapping({"LOG_LEVEL": "debug", "LIBRARY_LOG_LEVEL": "Info"})
    assert (settings.log_level, settings.library_log_level) == ("DEBUG", "INFO")
    assert Settings.from_mapping({}).library_log_level == "WARNING"
    with pytest.raises(SettingsError, match="LIBRARY_LOG_LEVEL must be one of DEBUG, INFO"):
        Settings.from_mapping({"LIBRARY_LOG_LEVEL": "loud"})
