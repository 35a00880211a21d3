"""Fixtures: settings on a fresh SQLite file or a fresh PostgreSQL database, the app
from the real factory, and a test client."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from server.app import create_app
from server.settings import Settings


def base_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        data_dir=tmp_path / "data",
        public_url="http://127.0.0.1:8080",
    )


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-v", "ON_ERROR_STOP=1",
         "-q", "-c", sql],
        check=True, capture_output=True,
    )


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    name = f"jt_{uuid.uuid4().hex[:12]}"
    _psql(f'CREATE DATABASE "{name}"')
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each backend in turn: a test using this runs on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        return base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    url: str = request.getfixturevalue("pg_url")
    return base_settings(tmp_path, url)


@pytest.fixture
async def app(settings: Settings) -> web.Application:
    return create_app(settings)


@pytest.fixture
async def client(
    app: web.Application, aiohttp_client: Callable[..., AsyncIterator[TestClient]]
) -> TestClient:
    return await aiohttp_client(app)  # type: ignore[no-any-return, misc]
