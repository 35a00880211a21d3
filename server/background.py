"""Background work that repeats (sweepers, samplers): one small loop, so each job only
says what one round does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

log = logging.getLogger("jangteo.background")


async def repeat(
    name: str, every_seconds: float, one_round: Callable[[], Awaitable[object]]
) -> None:
    """Run `one_round` every `every_seconds` until cancelled; a failed round is logged and
    the next one runs as usual."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await one_round()
        except Exception:
            log.exception("background round failed", extra={"job": name})


@contextlib.asynccontextmanager
async def running(
    name: str, every_seconds: float, one_round: Callable[[], Awaitable[object]]
) -> AsyncIterator[asyncio.Task[None]]:
    """The repeating job for as long as the block runs; cancelled and awaited after."""
    task = asyncio.create_task(repeat(name, every_seconds, one_round), name=name)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
