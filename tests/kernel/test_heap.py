"""kernel.heap: freezes on its interval, thaws and collects in full on the longer one, and a cycle frozen
with the rest is reclaimed at the thaw (not before)."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from kernel.heap import HeapKeeper, HeapSettings


class RecordingCollector:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.frozen = 0

    def collect(self, generation: int = 2) -> int:
        self.calls.append(("collect", generation))
        return 0

    def freeze(self) -> None:
        self.calls.append(("freeze",))
        self.frozen += 1

    def unfreeze(self) -> None:
        self.calls.append(("unfreeze",))
        self.frozen = 0

    def get_freeze_count(self) -> int:
        return self.frozen


def test_a_young_collection_then_a_freeze_each_turn_and_a_full_collection_once_the_thaw_is_due() -> None:
    collector = RecordingCollector()
    keeper = HeapKeeper(HeapSettings(freeze_seconds=60, thaw_seconds=3600), collector, started_at=0.0)
    assert [keeper.step(at) for at in (60, 120, 3599)] == ["frozen"] * 3
    assert collector.calls == [("collect", 1), ("freeze",)] * 3
    collector.calls.clear()
    assert keeper.step(3600) == "thawed"
    assert collector.calls == [("unfreeze",), ("collect", 2), ("freeze",)]
    # The next thaw is an interval after this one, not after the start.
    assert [keeper.step(at) for at in (3660, 7199)] == ["frozen", "frozen"]
    assert keeper.step(7200) == "thawed"


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle() -> tuple[list, weakref.ref]:
    """A reference cycle and a holder keeping it alive (clear the holder: only the collector can reclaim it)."""
    first, second = Node(), Node()
    first.other, second.other = second, first
    return [first], weakref.ref(first)


@pytest.fixture
def thawed_afterwards():
    yield
    gc.unfreeze()
    gc.collect()


def test_a_cycle_frozen_with_the_heap_waits_for_the_thaw(thawed_afterwards) -> None:
    gc.collect()
    keeper = HeapKeeper(HeapSettings(freeze_seconds=1, thaw_seconds=10), started_at=0.0)
    holder, cycle = _cycle()
    assert keeper.step(1.0) == "frozen"  # alive: frozen with everything else
    holder.clear()  # garbage now, among frozen objects
    assert gc.get_freeze_count() > 0
    gc.collect()
    assert cycle() is not None  # full collections skip what is frozen
    assert keeper.step(10.0) == "thawed"
    assert cycle() is None
    assert gc.get_freeze_count() > 0  # frozen again after the full collection


def test_young_garbage_is_collected_before_the_freeze(thawed_afterwards) -> None:
    keeper = HeapKeeper(HeapSettings(freeze_seconds=1, thaw_seconds=3600), started_at=0.0)
    holder, cycle = _cycle()
    holder.clear()  # garbage before the freeze
    assert keeper.step(1.0) == "frozen"
    assert cycle() is None


def test_off_when_the_interval_is_zero() -> None:
    collector = RecordingCollector()
    asyncio.run(asyncio.wait_for(HeapKeeper(HeapSettings(freeze_seconds=0), collector).run(), 1))
    assert collector.calls == []


def test_the_interval_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="freeze_seconds"):
        HeapSettings(freeze_seconds=-1)
