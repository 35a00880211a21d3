"""Survivors of a full collection are frozen out of the next ones, and thawed again."""

from __future__ import annotations

import asyncio
import gc

from server.collector import SurvivorFreezer


class _Survivor:
    """A tracked object that outlives a full collection."""


async def test_survivors_of_a_full_collection_are_frozen_then_thawed() -> None:
    freezer = SurvivorFreezer(asyncio.get_running_loop(), thaw_seconds=0.2)
    gc.unfreeze()
    gc.disable()  # only the collections this test makes
    try:
        freezer.start()
        kept = [_Survivor() for _ in range(1000)]  # made after start: not frozen yet
        frozen_at_start = gc.get_freeze_count()
        gc.collect()
        await asyncio.sleep(0)  # the freeze runs on the loop, after the collection
        await asyncio.sleep(0)
        assert gc.get_freeze_count() >= frozen_at_start + len(kept)

        await asyncio.sleep(0.4)  # past the thaw: everything is collectable again
        assert gc.get_freeze_count() == 0
    finally:
        gc.enable()
        freezer.stop()
        gc.unfreeze()


async def test_stopping_removes_the_hook() -> None:
    freezer = SurvivorFreezer(asyncio.get_running_loop())
    freezer.start()
    freezer.stop()
    gc.unfreeze()
    gc.collect()
    await asyncio.sleep(0)
    assert gc.get_freeze_count() == 0
