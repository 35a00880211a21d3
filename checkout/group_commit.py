"""Group commit: the reservations waiting in this process written in one transaction.

In a flash sale hundreds of shoppers press buy in the same second. One write
transaction each means the write lock (SQLite's one lock; PostgreSQL's lock on the
product's row) is taken, held across a handful of round trips and committed once per
shopper, one after the other. Here the reservations that arrive while a transaction is
running wait in a queue; the caller that finds no transaction running becomes the
writer and takes everyone waiting into ONE transaction, each reservation inside its own
SAVEPOINT: a refused one (sold out, over the sale's limit, bad input) rolls back alone
and its shopper gets that answer; the others commit together. Then it takes whoever
queued meanwhile, until nobody waits. No background task: the writer is whichever
request came first.

The conditional UPDATEs and CHECK(stock >= 0) stay the guard, exactly as with one
transaction per reservation; a batch only shares the lock and the commit. Before each
reservation the sold-out memory is asked, so once the first shopper of a batch was
refused the rest of the crowd is answered without a statement.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T = TypeVar("T")

# At most this many reservations share a transaction: the first shopper of a batch
# waits for the last one's statements, so a batch is kept short.
MAX_BATCH = 64

Work = Callable[[AsyncSession], Awaitable[T]]


@dataclass
class _Waiting(Generic[T]):
    work: Work[T]
    before: Callable[[], None]
    answer: asyncio.Future[T] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def settle(self, result: T | None = None, error: BaseException | None = None) -> None:
        if self.answer.done():  # its shopper went away (the request was cancelled)
            return
        if error is not None:
            self.answer.set_exception(error)
        else:
            self.answer.set_result(result)  # type: ignore[arg-type]


class GroupCommit(Generic[T]):
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], max_batch: int = MAX_BATCH
    ) -> None:
        self._db = sessionmaker
        self._max_batch = max_batch
        self._queue: list[_Waiting[T]] = []
        # The writer is a task of its own, not the first request: a shopper who leaves
        # (its request cancelled) must not leave the others' reservations unwritten.
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # transactions committed (the tests read it)

    async def run(self, work: Work[T], before: Callable[[], None] = lambda: None) -> T:
        """Run `work` in a savepoint of a shared write transaction; returns what it
        returned once the transaction committed, or raises what it raised (its savepoint
        rolled back, the others unaffected). `before` is called when its turn comes,
        before any statement: what it raises is the answer, at no database cost."""
        waiting: _Waiting[T] = _Waiting(work, before)
        self._queue.append(waiting)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await waiting.answer

    async def _drain(self) -> None:
        while self._queue:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            await self._write(batch)

    async def _write(self, batch: list[_Waiting[T]]) -> None:
        if len(batch) == 1:
            await self._write_alone(batch[0])
            return
        done: list[tuple[_Waiting[T], T]] = []
        try:
            async with self._db.begin() as session:
                for waiting in batch:
                    if waiting.answer.done():
                        continue  # cancelled while it queued: nothing to write
                    try:
                        waiting.before()
                        async with session.begin_nested():
                            result = await waiting.work(session)
                    except Exception as exc:  # this reservation's answer; the batch goes on
                        waiting.settle(error=exc)
                    else:
                        done.append((waiting, result))
        except Exception as exc:
            # The commit itself failed: nothing of the batch was written.
            for waiting, _ in done:
                waiting.settle(error=exc)
            return
        except BaseException:
            for waiting in batch:
                waiting.settle(error=asyncio.CancelledError())
            raise
        self.batches += 1
        for waiting, result in done:
            waiting.settle(result)

    async def _write_alone(self, waiting: _Waiting[T]) -> None:
        """Nobody else waited: its own transaction, no savepoint (two round trips fewer);
        a refusal rolls back that transaction, which holds nothing else."""
        if waiting.answer.done():
            return
        try:
            waiting.before()
            async with self._db.begin() as session:
                result = await waiting.work(session)
        except Exception as exc:
            waiting.settle(error=exc)
            return
        except BaseException:
            waiting.settle(error=asyncio.CancelledError())
            raise
        self.batches += 1
        waiting.settle(result)
