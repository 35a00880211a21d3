"""Shared chat state on Redis: bursts of joins and leaves go out in pipelines over one
bounded pool per process that waits, never refuses."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from chat.state import RedisState
from server.redis_link import RedisLink

REDIS_URL = "redis://127.0.0.1:6379/0"
POOL_SIZE = 20  # REDIS_MAX_CONNECTIONS's default

pytestmark = pytest.mark.redis


async def test_five_thousand_viewers_joining_and_leaving_at_once_all_count() -> None:
    link = RedisLink(REDIS_URL, max_connections=POOL_SIZE, pool_timeout=5.0)
    state = RedisState(link.client, f"test-pool-{uuid.uuid4().hex[:8]}:")
    sids = [f"sid-{n}" for n in range(5000)]
    try:
        # Far more commands at once than the pool has connections (redis-py's default
        # pool refused the 101st with MaxConnectionsError): they wait their turn.
        assert len(sids) > 10 * POOL_SIZE
        await asyncio.gather(*(state.add_viewer(7, sid) for sid in sids))
        assert await state.viewer_count(7) == 5000
        await asyncio.gather(*(state.remove_viewer(7, sid) for sid in sids[:3000]))
        assert await state.viewer_count(7) == 2000
    finally:
        await asyncio.gather(*(state.remove_viewer(7, sid) for sid in sids))
        await state.close()
        await link.close()
