"""Survivors of a full collection are frozen out of the next ones, and thawed again."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from server.collector import SurvivorFreezer


class _Survivor:
    """A tracked object that outlives a full collection."""


def _seen_by_collector(objects: list[_Survivor]) -> bool:
    """Whether the collector's generations hold them (frozen objects are in none)."""
    ids = {id(o) for o in objects}
    return any(id(o) in ids for o in gc.get_objects())


@pytest.fixture
def only_our_collections() -> Iterator[None]:
    gc.unfreeze()
    gc.disable()  # no automatic collection (and freeze) in the middle of a test
    yield
    gc.enable()
    gc.unfreeze()


@pytest.mark.usefixtures("only_our_collections")
async def test_survivors_of_a_full_collection_are_frozen() -> None:
    freezer = SurvivorFreezer(asyncio.get_running_loop(), thaw_seconds=3600)
    freezer.start()
    try:
        kept = [_Survivor() for _ in range(1000)]  # made after start: not frozen yet
        assert _seen_by_collector(kept)
        gc.collect()
        await asyncio.sleep(0)  # the freeze runs on the loop, after the collection
        await asyncio.sleep(0)
        assert not _seen_by_collector(kept)  # frozen: the next collections skip them
    finally:
        freezer.stop()


@pytest.mark.usefixtures("only_our_collections")
async def test_frozen_objects_are_thawed_to_be_collectable_again() -> None:
    freezer = SurvivorFreezer(asyncio.get_running_loop(), thaw_seconds=0.05)
    freezer.start()
    try:
        assert gc.get_freeze_count() > 0
        await asyncio.sleep(0.3)
        assert gc.get_freeze_count() == 0
    finally:
        freezer.stop()


@pytest.mark.usefixtures("only_our_collections")
async def test_stopping_removes_the_hook() -> None:
    freezer = SurvivorFreezer(asyncio.get_running_loop())
    freezer.start()
    freezer.stop()
    gc.unfreeze()
    gc.collect()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert gc.get_freeze_count() == 0
