"""Streaming tests watch what the stream tells viewers through a recorder subscribed to
the app's live-event bus (beside chat's Socket.IO hub and the analytics journal)."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from server.app import create_app
from server.settings import Settings
from tests.helpers import AppClient, record_events, recorder


async def streaming_client(aiohttp_client: AiohttpClient, settings: Settings) -> AppClient:
    app = create_app(settings)
    record_events(app)
    client: AppClient = await aiohttp_client(app)
    return client


def published(client: AppClient) -> list[tuple[int, str, dict[str, Any]]]:
    """Every live event the app published, in order."""
    return client.app[recorder].published


@pytest.fixture
async def client(settings: Settings, aiohttp_client: AiohttpClient) -> AppClient:
    return await streaming_client(aiohttp_client, settings)
