"""The CLI a newcomer runs, and the error pages a visitor sees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from aiohttp import web
from pytest_aiohttp import AiohttpClient

from server.app import create_app
from server.settings import Settings


def _cli(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "JANGTEO_ENV": "development"}
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        env=env,
        input=stdin,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_migrate_and_seed_demo_are_repeatable(tmp_path: Path) -> None:
    assert _cli(tmp_path, "migrate").returncode == 0
    first = _cli(tmp_path, "seed-demo")
    assert first.returncode == 0 and "demo data created" in first.stdout
    again = _cli(tmp_path, "seed-demo")
    assert again.returncode == 0 and "already present" in again.stdout
    assert (tmp_path / "jangteo.db").exists()


def test_production_without_a_secret_refuses_to_start(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "JANGTEO_ENV": "production"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "server", "migrate"],
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "SECRET_KEY must be set" in result.stderr


async def test_unexpected_errors_show_a_friendly_500(
    settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    app = create_app(settings)

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("boom")

    app.router.add_get("/broken", broken)
    app.router.add_get("/api/broken", broken)
    client = await aiohttp_client(app)
    page = await client.get("/broken")
    assert page.status == 500
    text = await page.text()
    assert "서버에 문제가 생겼습니다" in text and "boom" not in text
    api = await client.get("/api/broken")
    assert api.status == 500 and (await api.json())["error"]["code"] == "http_500"
