"""Seeding a test database the way `python -m server seed-demo` does, before the server
under test starts (its demo publisher looks for the demo show at start-up)."""

from __future__ import annotations

from sqlalchemy import select

from server.db import make_engine, make_sessionmaker
from server.demo import seed
from server.demo_media import seed_media
from server.migrate import upgrade
from server.settings import Settings
from server.shows.models import Show


async def seed_demo(settings: Settings) -> dict[str, int]:
    """Seed data and media; the ids of the shows by title."""
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine).begin() as session:
            await seed(session)
        async with make_sessionmaker(engine).begin() as session:
            await seed_media(session, settings.data_dir)
        async with make_sessionmaker(engine)() as session:
            rows = await session.execute(select(Show.title, Show.id).where(Show.is_demo))
            return {title: show_id for title, show_id in rows}
    finally:
        await engine.dispose()
