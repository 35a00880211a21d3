"""Site-wide background jobs run in one process at a time: the holder of the Redis lease.
A leader that dies (killed, no clean shutdown) loses the lease when it runs out and
another process takes the jobs over; one that stops cleanly hands them over at once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from server.background import running
from server.leader import RedisLease

REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parents[2]
LEASE = 1.5
pytestmark = pytest.mark.redis

# A second process that takes the lease, says so, and keeps it until it is killed.
HOLDER = """
import asyncio, sys
import redis.asyncio as aioredis
from server.leader import RedisLease

async def main():
    lease = RedisLease(aioredis.Redis.from_url(sys.argv[1]), sys.argv[2], lease_seconds=1.5)
    await lease.start()
    print("leading" if lease.leads() else "following", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@pytest.fixture
async def key() -> AsyncIterator[str]:
    value = f"test-leader-{uuid.uuid4().hex[:10]}"
    yield value
    client = aioredis.Redis.from_url(REDIS_URL)
    await client.delete(value)
    await client.aclose()


@pytest.fixture
async def redis() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture
def holder(key: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, REDIS_URL, key],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)
    assert proc.stdout is not None
    proc.stdout.close()


async def _until(condition: Callable[[], bool], seconds: float) -> bool:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return bool(condition())


async def test_a_killed_leaders_jobs_are_taken_over_by_another_process(
    key: str, redis: aioredis.Redis, holder: subprocess.Popen[str]
) -> None:
    assert holder.stdout is not None
    first_line = await asyncio.to_thread(holder.stdout.readline)
    assert first_line.strip() == "leading"

    rounds: list[float] = []

    async def one_round() -> None:
        rounds.append(asyncio.get_running_loop().time())

    lease = RedisLease(redis, key, lease_seconds=LEASE)
    await lease.start()
    try:
        async with running("test job", 0.05, one_round, lease):
            # While the other process is alive and renewing, this one never runs a round.
            await asyncio.sleep(LEASE * 2.5)
            assert not lease.leads()
            assert rounds == []

            holder.send_signal(signal.SIGKILL)  # no clean shutdown: the lease is not given back
            await asyncio.to_thread(holder.wait, 10)
            assert await _until(lambda: bool(rounds), LEASE * 6), "nobody took the jobs over"
            assert lease.leads()
    finally:
        await lease.stop()


async def test_one_of_two_processes_runs_the_jobs_and_a_clean_stop_hands_them_over(
    key: str,
) -> None:
    clients = [aioredis.Redis.from_url(REDIS_URL) for _ in range(2)]
    first, second = (RedisLease(c, key, lease_seconds=LEASE) for c in clients)
    counts = [0, 0]

    def counter(n: int) -> Callable[[], Awaitable[None]]:
        async def one_round() -> None:
            counts[n] += 1

        return one_round

    try:
        await first.start()
        await second.start()
        async with (
            running("job", 0.05, counter(0), first),
            running("job", 0.05, counter(1), second),
        ):
            assert await _until(lambda: counts[0] >= 5, 5)
            assert counts[1] == 0
            assert first.leads() and not second.leads()

            await first.stop()  # gives the lease back: no wait for it to run out
            assert await _until(lambda: counts[1] >= 3, LEASE)
            assert second.leads() and not first.leads()
            taken = counts[0]
            await asyncio.sleep(0.3)
            assert counts[0] == taken
    finally:
        await second.stop()
        await first.stop()
        for client in clients:
            await client.aclose()
