"""The adapter's repeat index on disk matches exactly as the kernel's in-memory one, and starts empty."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.service.packed_sketch import PackedSketch
from adapters.service.repeat_store import DiskRepeats
from adapters.service.sharing import MemoryStatuses
from kernel.domain.repeats import RepeatIndex, RepeatPolicy, RepeatRecord

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
POLICY = RepeatPolicy(window=dt.timedelta(days=30), content_jaccard_min=0.5, generic_categories=frozenset({"G"}),
                      max_links_per_case=3, max_cases_per_requester=2)

records = st.builds(
    RepeatRecord,
    case_id=st.sampled_from([f"jjj:{region}:{n}" for region in ("BJ", "TJ", "HE") for n in range(6)]),
    requester_key=st.sampled_from(["", "k1", "k2"]),
    admin_code=st.sampled_from(["", "110105", "131082"]),
    category_code=st.sampled_from(["", "A", "G"]),
    # Ties and cases a microsecond apart: both are ordered the same way by each store, which must not round.
    received_at=st.builds(lambda days, us: T0 + dt.timedelta(days=days, microseconds=us),
                          st.sampled_from([-45, -20, 0, 25]), st.integers(min_value=0, max_value=1)),
    shingles=st.lists(st.integers(min_value=0, max_value=12), max_size=8).map(PackedSketch),
    status=st.integers(min_value=0, max_value=9),
)
operations = st.lists(st.one_of(
    st.tuples(st.just("add"), records),
    st.tuples(st.just("remove"), records),
    st.tuples(st.just("prune"), st.sampled_from([-50, -45, -20, 0, 25])),
), max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations, records)
def test_the_disk_index_finds_what_the_memory_index_finds(tmp_path, steps, probe):
    disk = DiskRepeats(tmp_path / "repeats.sqlite3")
    on_disk, in_memory = RepeatIndex(policy=POLICY, store=disk), RepeatIndex(policy=POLICY)
    try:
        for step, argument in steps:
            for index in (on_disk, in_memory):
                if step == "add":
                    index.add(argument)
                elif step == "remove":
                    index.remove(argument.case_id)
                else:
                    pruned = [index.prune(T0 + dt.timedelta(days=argument)) for index in (on_disk, in_memory)]
                    assert pruned[0] == pruned[1]
                    break
            assert len(on_disk) == len(in_memory)
            assert on_disk.find(probe) == in_memory.find(probe)
        for key in ("k1", "k2"):
            assert sorted(disk.records_of(key), key=lambda r: r.case_id) == sorted(
                in_memory.store.records_of(key), key=lambda r: r.case_id)
    finally:
        disk.close()


def record(case_id: str, *, key: str = "k1", days: float = 0) -> RepeatRecord:
    return RepeatRecord(case_id, key, "110105", "A", T0 + dt.timedelta(days=days), PackedSketch([1, 2, 3]), 2)


def test_a_record_comes_back_as_it_was_put(tmp_path):
    disk = DiskRepeats(tmp_path / "r.sqlite3")
    put = RepeatRecord("jjj:HE:1", "k", "131082", "A", T0 + dt.timedelta(microseconds=123_457),
                       PackedSketch([7, 2**32 - 1, 0]), 3)
    disk.put(put)
    assert disk.records_of("k") == [put]
    assert disk.records_of("other") == []


def test_opening_the_store_starts_it_empty_for_the_replay(tmp_path):
    path = tmp_path / "adapters" / "hebei" / "repeats.sqlite3"
    first = DiskRepeats(path)
    first.put(record("jjj:BJ:1"))
    first.note_status("jjj:BJ:1", 5)
    first.close()
    path.chmod(0o644)
    again = DiskRepeats(path)
    assert len(again) == 0 and again.noted_status("jjj:BJ:1") is None
    assert path.stat().st_mode & 0o777 == 0o600  # masked names and keyed hashes: the adapter's user only
    again.close()


def test_only_packed_sketches_are_stored(tmp_path):
    disk = DiskRepeats(tmp_path / "r.sqlite3")
    as_strings = RepeatRecord("jjj:BJ:1", "k", "", "", T0, frozenset({"噪音"}))
    with pytest.raises(TypeError, match="packed sketches, not frozenset"):
        disk.put(as_strings)


def test_noted_statuses_are_kept_until_the_window_has_passed_them(tmp_path):
    disk = DiskRepeats(tmp_path / "r.sqlite3")
    for case_id, status in (("jjj:BJ:1", 6), ("jjj:BJ:1", 7), ("jjj:TJ:unindexed", 2)):
        disk.note_status(case_id, status)
    assert (disk.noted_status("jjj:BJ:1"), disk.noted_status("jjj:TJ:unindexed"), disk.noted_status("x")) == (7, 2, None)
    now = dt.datetime.now(dt.UTC)
    disk.prune(now - dt.timedelta(days=90))  # noted just now: within the window
    assert disk.noted_status("jjj:BJ:1") == 7
    disk.prune(now + dt.timedelta(seconds=5))  # a window beginning after they were noted
    assert disk.noted_status("jjj:BJ:1") is None and disk.noted_status("jjj:TJ:unindexed") is None


@pytest.mark.parametrize("on_disk", [True, False], ids=["disk", "memory"])
def test_a_requesters_oldest_cases_beyond_the_bound_are_dropped_first(tmp_path, on_disk):
    index = RepeatIndex(policy=POLICY, store=DiskRepeats(tmp_path / "r.sqlite3") if on_disk else None)
    for n in range(6):
        index.add(record(f"jjj:BJ:{n}", days=-n))
    index.add(record("jjj:BJ:other", key="k2"))
    assert sorted(r.case_id for r in index.store.records_of("k1")) == ["jjj:BJ:0", "jjj:BJ:1"]
    assert len(index) == 3
    # Received at the same moment: the smaller case id counts as the older one, in either store.
    for case_id in ("jjj:TJ:b", "jjj:TJ:a", "jjj:TJ:c"):
        index.add(record(case_id, key="k3"))
    assert sorted(r.case_id for r in index.store.records_of("k3")) == ["jjj:TJ:b", "jjj:TJ:c"]


def test_memory_statuses_forget_the_oldest_beyond_their_bound(monkeypatch):
    monkeypatch.setattr("adapters.service.sharing.STATUS_MEMORY", 2)
    statuses = MemoryStatuses()
    for case_id, status in (("a", 1), ("b", 2), ("a", 3), ("c", 4)):
        statuses.note_status(case_id, status)
    assert (statuses.noted_status("a"), statuses.noted_status("b"), statuses.noted_status("c")) == (3, None, 4)


def test_sharing_forgets_cases_gone_out_of_the_window_as_it_indexes(tmp_path, monkeypatch):
    from adapters.service import sharing as sharing_module
    from kernel import jurisdictions

    disk = DiskRepeats(tmp_path / "r.sqlite3")
    sharing = sharing_module.Sharing(jurisdictions.by_name("hebei"), js=None, secret=b"k" * 32, signer=None, guard=None,
                                     index=RepeatIndex(policy=POLICY, store=disk), statuses=disk)
    now = dt.datetime.now(dt.UTC)
    sharing._index(dataclasses.replace(record("jjj:BJ:old"), received_at=now - dt.timedelta(days=31)))
    sharing._index(dataclasses.replace(record("jjj:BJ:new"), received_at=now))
    assert len(disk) == 2  # pruned at most once a minute: not yet
    monkeypatch.setattr(sharing_module.time, "monotonic", lambda: sharing._pruned_at + sharing_module.PRUNE_EVERY_SECONDS + 1)
    sharing._index(dataclasses.replace(record("jjj:BJ:newer", key="k2"), received_at=now))
    assert sorted(r.case_id for r in disk.records_of("k1")) == ["jjj:BJ:new"] and len(disk) == 2
