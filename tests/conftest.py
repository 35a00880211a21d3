"""Fixtures: settings on a fresh SQLite file or a fresh PostgreSQL database, the app
from the real factory, and a test client."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from argon2 import PasswordHasher
from pytest_aiohttp import AiohttpClient

from server.accounts import passwords
from server.app import create_app
from server.db import make_engine
from server.migrate import upgrade
from server.settings import Settings
from tests.helpers import AppClient


def base_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        data_dir=tmp_path / "data",
        public_url="http://127.0.0.1:8080",
        # One H.264 encode per live show: only the tests of the HLS rendition pay for it.
        hls=False,
    )


def _psql(sql: str) -> None:
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "test",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            sql,
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    name = f"jt_{uuid.uuid4().hex[:12]}"
    _psql(f'CREATE DATABASE "{name}"')
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """Argon2 with its production cost makes every sign-up ~100 ms; tests only need the
    same algorithm, not the same cost."""
    original = passwords._HASHER
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._HASHER = original


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to the heads, copied for each test (the app still runs
    its migrations at start; they find nothing left to do)."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"

    async def migrate() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_sqlite: Path) -> Settings:
    shutil.copy(migrated_sqlite, tmp_path / "test.db")
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
async def client(app: web.Application, aiohttp_client: AiohttpClient) -> AppClient:
    return await aiohttp_client(app)
