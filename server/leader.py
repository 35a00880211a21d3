"""Which process runs the background jobs (sweepers, samplers, retraining) when several
serve one site: the holder of a lease in Redis.

A process takes the lease with `SET key token NX PX ttl` and renews it every third of
the ttl while it holds it; it counts itself the leader only until a little before the
lease it last renewed runs out, so two processes never both believe they lead. A
process that dies (or loses Redis) stops renewing; its lease runs out and the next
process to ask takes over. One that stops cleanly gives the lease back at once.

With one process and no Redis, that process always leads (`SoleProcess`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from typing import Protocol

import redis.asyncio as aioredis

from server.redis_link import UNREACHABLE, RedisHealth

log = logging.getLogger("jangteo.leader")

LEASE_SECONDS = 10.0
# How long before its end a lease is no longer trusted (a renewal in flight, clock drift).
SAFETY_SECONDS = 1.0

# Renew or give back only a lease that is still ours (it may have run out and been taken).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class Leadership(Protocol):
    def leads(self) -> bool:
        """Whether this process should run the cluster-wide background jobs now."""


class SoleProcess:
    """One process: it leads."""

    def leads(self) -> bool:
        return True


class RedisLease:
    def __init__(
        self,
        redis: aioredis.Redis,
        key: str,
        health: RedisHealth | None = None,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self._redis = redis
        self._key = key
        self._health = health or RedisHealth()
        self._lease_ms = int(lease_seconds * 1000)
        self._every = lease_seconds / 3
        self._trust_seconds = max(lease_seconds - SAFETY_SECONDS, lease_seconds / 2)
        self.token = f"{socket.gethostname()}:{secrets.token_hex(6)}"
        self._until = 0.0  # monotonic time until which this process leads
        self._task: asyncio.Task[None] | None = None

    def leads(self) -> bool:
        return time.monotonic() < self._until

    async def try_once(self) -> bool:
        """Take the lease if it is free, renew it if it is ours; whether we lead."""
        asked = time.monotonic()
        try:
            if self.leads():
                renewed = self._redis.eval(_RENEW, 1, self._key, self.token, self._lease_ms)
                held = bool(await renewed)
            else:
                held = bool(
                    await self._redis.set(self._key, self.token, nx=True, px=self._lease_ms)
                )
        except UNREACHABLE as exc:
            self._health.failed(exc)
            return self.leads()  # a lease we cannot renew is trusted until it runs out
        self._health.answered()
        was_leading = self.leads()
        self._until = asked + self._trust_seconds if held else 0.0
        if held and not was_leading:
            log.info(
                "this process now runs the background jobs",
                extra={"lease": self.token, "pid": os.getpid()},
            )
        elif was_leading and not held:
            log.warning("another process took over the background jobs")
        return held

    async def _keep(self) -> None:
        while True:
            await self.try_once()
            await asyncio.sleep(self._every)

    async def release(self) -> None:
        self._until = 0.0
        with contextlib.suppress(*UNREACHABLE):
            await self._redis.eval(_RELEASE, 1, self._key, self.token)

    async def start(self) -> None:
        """Compete for the lease from now on (the first try before returning)."""
        await self.try_once()
        self._task = asyncio.create_task(self._keep(), name="leader lease")

    async def stop(self) -> None:
        """Stop competing and give the lease back, so another process takes over now."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.release()
