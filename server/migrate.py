"""Alembic migrations, run at start-up. Each package keeps its own version folder, so a
package's migrations form a branch of their own; "heads" upgrades them all."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parent.parent
VERSION_FOLDERS = (
    "server/migrations/versions",
    "streaming/migrations",
    "chat/migrations",
    "checkout/migrations",
    "server/markets/migrations",
    "server/jobs/migrations",
    "server/onboarding/migrations",
    "server/analytics/insights/migrations",
    "server/trust/migrations",
)
# Any fixed number: it names the PostgreSQL advisory lock that keeps two processes
# starting at once from migrating the same database twice.
MIGRATION_LOCK_ID = 7_240_115


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "server" / "migrations"))
    folders = [str(ROOT / f) for f in VERSION_FOLDERS if (ROOT / f).is_dir()]
    config.set_main_option("version_locations", " ".join(folders))
    config.set_main_option("path_separator", "space")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    command.upgrade(alembic_config(connection), "heads")


async def upgrade(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)
