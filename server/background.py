"""Background work that repeats (sweepers, samplers): one small loop, so each job only
says what one round does.

A job whose rounds must run once for the whole site (not once per server process) is
given the process's `Leadership`: its rounds are skipped while another process leads
(server/leader.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from server.leader import Leadership

log = logging.getLogger("jangteo.background")


async def repeat(
    name: str,
    every_seconds: float,
    one_round: Callable[[], Awaitable[object]],
    leader: Leadership | None = None,
) -> None:
    """Run `one_round` every `every_seconds` until cancelled (only while this process
    leads, when `leader` is given); a failed round is logged and the next one runs as
    usual."""
    while True:
        await asyncio.sleep(every_seconds)
        if leader is not None and not leader.leads():
            continue
        try:
            await one_round()
        except Exception:
            log.exception("background round failed", extra={"job": name})


class running:  # lower case: it reads as a verb at the call site, `async with running(...)`
    """The repeating job for as long as the block runs; cancelled and awaited after.

    A class rather than `contextlib.asynccontextmanager`: a cleanup context that is
    closed with `aclose()` (start-up failed further on) throws GeneratorExit through
    this block, and the wait for the cancelled task must still be allowed to suspend."""

    def __init__(
        self,
        name: str,
        every_seconds: float,
        one_round: Callable[[], Awaitable[object]],
        leader: Leadership | None = None,
    ) -> None:
        self._name = name
        self._every_seconds = every_seconds
        self._one_round = one_round
        self._leader = leader
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> asyncio.Task[None]:
        job = repeat(self._name, self._every_seconds, self._one_round, self._leader)
        self._task = asyncio.create_task(job, name=self._name)
        return self._task

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
