"""The process's one link to Redis: one bounded connection pool shared by everything that
talks to Redis (chat's counters, the Socket.IO fan-out, the leader lease), and one
record of whether Redis is answering.

The pool blocks: when every connection is busy a caller waits (up to the pool timeout)
for one to come back instead of failing with `MaxConnectionsError`, so a thousand
viewers joining or leaving in the same second queue for a moment and nobody sees an
error. Connecting gives up quickly, so a Redis that went away costs a caller a second at
most, and the callers then fall back to what one process can do on its own.

`RedisHealth` turns the many failures of an outage into one log line when Redis goes
away and one when it is back, whoever noticed first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

log = logging.getLogger("jangteo.redis")

# Failures that mean "Redis did not answer" (OSError: the socket itself, e.g. refused).
UNREACHABLE = (RedisError, OSError, TimeoutError)
CONNECT_TIMEOUT_SECONDS = 1.0
# While Redis is away, one caller in this long tries it again; the others do not wait.
PROBE_SECONDS = 1.0


@dataclass
class RedisHealth:
    """Whether Redis answered last time; logs each change once."""

    clock: Callable[[], float] = time.monotonic
    down_since: float | None = None
    _last_probe: float = field(default=0.0)

    @property
    def up(self) -> bool:
        return self.down_since is None

    def failed(self, exc: BaseException) -> None:
        self._last_probe = self.clock()
        if self.down_since is None:
            self.down_since = self.clock()
            log.warning(
                "Redis is unreachable: chat now reaches only the viewers of this process, "
                "and background jobs wait, until it answers again",
                extra={"redis_error": str(exc) or type(exc).__name__},
            )

    def answered(self) -> None:
        if self.down_since is not None:
            seconds = round(self.clock() - self.down_since, 1)
            self.down_since = None
            log.warning(
                "Redis answers again: chat reaches every process",
                extra={"down_seconds": seconds},
            )

    def worth_trying(self) -> bool:
        """True while Redis is up; while it is down, once per PROBE_SECONDS."""
        if self.down_since is None:
            return True
        now = self.clock()
        if now - self._last_probe >= PROBE_SECONDS:
            self._last_probe = now
            return True
        return False


class RedisLink:
    """The shared client (its pool bounded and blocking) and its health."""

    def __init__(self, url: str, max_connections: int, pool_timeout: float) -> None:
        self.url = url
        self.pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=pool_timeout,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            health_check_interval=15,
            # A connection that died with an outage is found stale on its next use after
            # Redis is back: one immediate retry on a new connection, so that is not
            # mistaken for another outage.
            retry=Retry(NoBackoff(), 1),
        )
        self.client = aioredis.Redis(connection_pool=self.pool)
        self.health = RedisHealth()

    async def close(self) -> None:
        await self.client.aclose()
        await self.pool.disconnect()
