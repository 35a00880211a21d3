"""Streaming tests watch what the stream tells viewers through a RecordingPublisher put
in place of the app's live publisher (chat's Socket.IO hub, journaled by analytics)."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from server import keys as server_keys
from server.app import create_app
from server.events import RecordingPublisher
from server.settings import Settings
from tests.helpers import AppClient


async def streaming_client(aiohttp_client: AiohttpClient, settings: Settings) -> AppClient:
    app = create_app(settings)
    # Streaming looks the publisher up when it publishes, so replacing it here is seen.
    app[server_keys.events] = RecordingPublisher()
    client: AppClient = await aiohttp_client(app)
    return client


def published(client: AppClient) -> list[tuple[int, str, dict[str, Any]]]:
    events = client.app[server_keys.events]
    assert isinstance(events, RecordingPublisher)
    return events.published


@pytest.fixture
async def client(settings: Settings, aiohttp_client: AiohttpClient) -> AppClient:
    return await streaming_client(aiohttp_client, settings)
