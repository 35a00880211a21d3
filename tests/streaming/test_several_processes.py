"""A show left live when the workers restarted gets a grace period in every worker; the
worker whose grace period runs out must not end it while its publisher is back on
another worker, and must end it when the publisher is back nowhere."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from pytest_aiohttp import AiohttpClient

from server import keys
from server.settings import Settings
from server.shows import service as shows
from server.shows.models import ShowState
from streaming.origins import RedisPublisherPresence
from tests.helpers import make_merchant, make_show
from tests.streaming.conftest import streaming_client

REDIS_URL = "redis://127.0.0.1:6379/0"
pytestmark = pytest.mark.redis


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    value = f"test-stream-{uuid.uuid4().hex[:10]}:"
    yield value
    client = aioredis.Redis.from_url(REDIS_URL)
    found = [k async for k in client.scan_iter(match=f"{value}*")]
    if found:
        await client.delete(*found)
    await client.aclose()


async def _live_show(settings: Settings, aiohttp_client: AiohttpClient) -> int:
    before = await streaming_client(aiohttp_client, settings)
    _, store = await make_merchant(before.app)
    show = await make_show(before.app, store)
    async with before.app[keys.sessionmaker].begin() as session:
        await shows.system_transition(session, show.id, "start")
    await before.close()  # the workers stop while the show is live
    return show.id


async def _state_after(settings: Settings, aiohttp_client: AiohttpClient, show_id: int) -> str:
    after = await streaming_client(aiohttp_client, settings.with_(publisher_grace_seconds=0.3))
    await asyncio.sleep(1.5)  # well past the grace period
    async with after.app[keys.sessionmaker]() as session:
        state: ShowState = (await shows.get_show(session, show_id)).state
    await after.close()
    return state.value


async def test_a_show_whose_publisher_is_on_another_worker_stays_live(
    settings: Settings, prefix: str, aiohttp_client: AiohttpClient
) -> None:
    settings = settings.with_(redis_url=REDIS_URL, chat_redis_prefix=prefix)
    show_id = await _live_show(settings, aiohttp_client)
    # The publisher came back to another worker, which marks it.
    other = aioredis.Redis.from_url(REDIS_URL)
    await RedisPublisherPresence(other, prefix, "other-worker").publishing_here([show_id])
    await other.aclose()
    assert await _state_after(settings, aiohttp_client, show_id) == "live"


async def test_a_show_whose_publisher_came_back_nowhere_ends(
    settings: Settings, prefix: str, aiohttp_client: AiohttpClient
) -> None:
    settings = settings.with_(redis_url=REDIS_URL, chat_redis_prefix=prefix)
    show_id = await _live_show(settings, aiohttp_client)
    assert await _state_after(settings, aiohttp_client, show_id) == "ended"


async def test_the_origin_mark_names_where_to_pull_from_and_goes_when_its_node_stops(
    prefix: str,
) -> None:
    client = aioredis.Redis.from_url(REDIS_URL)
    origin = RedisPublisherPresence(client, prefix, "origin", "http://10.0.0.5:8081")
    edge = RedisPublisherPresence(client, prefix, "edge", "http://10.0.0.6:8081")
    try:
        await origin.publishing_here([7])
        assert await edge.origin_of(7) == "http://10.0.0.5:8081"
        assert await origin.origin_of(7) is None  # the show is here: nothing to pull
        assert await edge.origin_of(8) is None
        # Edges' viewers add up at the origin; a stopping edge reports none.
        await edge.viewers_here(7, 3)
        assert await origin.viewers_on_edges(7) == 3
        await edge.viewers_here(7, 0)
        assert await origin.viewers_on_edges(7) == 0
        # A stopping node removes only its own marks.
        await edge.released([7])
        assert await edge.origin_of(7) == "http://10.0.0.5:8081"
        await origin.released([7])
        assert await edge.origin_of(7) is None
    finally:
        await client.aclose()
