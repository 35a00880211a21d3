"""Streaming tests watch what the stream tells viewers through a recorder subscribed to
the app's live-event bus (beside chat's Socket.IO hub and the analytics journal)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from server.app import create_app
from server.settings import Settings
from tests.helpers import record_events, recorder


async def streaming_client(aiohttp_client: Callable[..., Any], settings: Settings) -> TestClient:
    app = create_app(settings)
    record_events(app)
    client: TestClient = await aiohttp_client(app)
    return client


def published(client: TestClient) -> list[tuple[int, str, dict[str, Any]]]:
    """Every live event the app published, in order (the first recorder's list)."""
    return client.app[recorder].published


@pytest.fixture
async def client(settings: Settings, aiohttp_client: Callable[..., Any]) -> TestClient:
    return await streaming_client(aiohttp_client, settings)
