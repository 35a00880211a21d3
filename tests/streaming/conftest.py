"""Streaming tests watch what the stream tells viewers through a RecordingPublisher put
in place of the app's live publisher (chat's Socket.IO hub, journaled by analytics)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from server import keys as server_keys
from server.app import create_app
from server.events import RecordingPublisher
from server.settings import Settings


async def streaming_client(aiohttp_client: Callable[..., Any], settings: Settings) -> TestClient:
    app = create_app(settings)
    # Streaming looks the publisher up when it publishes, so replacing it here is seen.
    app[server_keys.events] = RecordingPublisher()
    client: TestClient = await aiohttp_client(app)
    return client


def published(client: TestClient) -> list[tuple[int, str, dict[str, Any]]]:
    events = client.app[server_keys.events]
    assert isinstance(events, RecordingPublisher)
    return events.published


@pytest.fixture
async def client(settings: Settings, aiohttp_client: Callable[..., Any]) -> TestClient:
    return await streaming_client(aiohttp_client, settings)
