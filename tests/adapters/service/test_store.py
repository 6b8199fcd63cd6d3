"""CaseStore on a real bucket: a record this process wrote is changed without reading it first,
and a copy someone else made stale costs one failed compare-and-set, never a lost update."""

from __future__ import annotations

import sqlite3

from adapters.service.outbox import MirroredCaseStore, Outbox
from adapters.service.records import Record
from adapters.service.store import CaseStore
from kernel.jurisdictions import by_name
from tests.support.bus import inspecting


class CountingStore(CaseStore):
    reads = 0

    async def _read(self, key):
        self.reads += 1
        return await super()._read(key)


def titled(title: str):
    def change(current: Record | None) -> Record:
        record = Record()
        if current is not None:
            record.CopyFrom(current)
        record.case.case_id = "jjj:BJ:1"
        record.case.title = (record.case.title + "|" if record.case.title else "") + title
        return record
    return change


async def test_a_record_it_wrote_is_changed_again_without_a_read(nats_server):
    async with inspecting(nats_server.url) as js:
        store = CountingStore.open(js, by_name("beijing"))
        await store.mutate("jjj:BJ:1", titled("sent"), likely_new=True)
        await store.mutate("jjj:BJ:1", titled("receipt"))
        await store.mutate("jjj:BJ:1", lambda current: None)  # no change: the copy stays good
        await store.mutate("jjj:BJ:1", titled("step"))
        assert store.reads == 0
        assert (await store.get("jjj:BJ:1")).case.title == "sent|receipt|step"


async def test_a_copy_made_stale_by_another_writer_loses_nothing(nats_server):
    async with inspecting(nats_server.url) as js:
        ours, theirs = CountingStore.open(js, by_name("beijing")), CaseStore.open(js, by_name("beijing"))
        await ours.mutate("jjj:BJ:1", titled("sent"), likely_new=True)
        await theirs.mutate("jjj:BJ:1", titled("theirs"))  # e.g. an earlier process of the adapter
        await ours.mutate("jjj:BJ:1", titled("receipt"))
        assert ours.reads == 1  # the compare-and-set failed on the revision: read, then applied
        assert (await ours.get("jjj:BJ:1")).case.title == "sent|theirs|receipt"


# -- the outbox's copy as the base of the next change ----------------------------

class CountingMirror(MirroredCaseStore):
    reads = 0

    async def _read(self, key):
        self.reads += 1
        return await super()._read(key)


def mirrored(js, outbox: Outbox) -> CountingMirror:
    return CountingMirror(CaseStore.open(js, by_name("beijing")), outbox)


async def test_a_restarted_adapter_changes_a_record_from_its_outbox_copy_without_a_read(nats_server, tmp_path):
    async with inspecting(nats_server.url) as js:
        outbox = Outbox.open(tmp_path / "outbox.sqlite3")
        await mirrored(js, outbox).mutate("jjj:BJ:1", titled("sent"), likely_new=True)
        later = mirrored(js, outbox)  # nothing in memory: a new process, or thousands of cases since
        await later.mutate("jjj:BJ:1", titled("receipt"))
        assert later.reads == 0
        assert (await later.get("jjj:BJ:1")).case.title == "sent|receipt"
        assert Record.FromString(outbox.stored_record("jjj:BJ:1")[0]).case.title == "sent|receipt"


async def test_an_outbox_copy_behind_the_bucket_loses_nothing(nats_server, tmp_path):
    async with inspecting(nats_server.url) as js:
        outbox = Outbox.open(tmp_path / "outbox.sqlite3")
        await mirrored(js, outbox).mutate("jjj:BJ:1", titled("sent"), likely_new=True)
        await CaseStore.open(js, by_name("beijing")).mutate("jjj:BJ:1", titled("x"))  # e.g. a crash before its copy
        later = mirrored(js, outbox)
        await later.mutate("jjj:BJ:1", titled("receipt"))
        assert later.reads == 1  # the compare-and-set failed on the revision: read, then applied
        assert (await later.get("jjj:BJ:1")).case.title == "sent|x|receipt"


async def test_no_change_found_on_an_outbox_copy_is_checked_against_the_bucket(nats_server, tmp_path):
    def once_x(current: Record | None) -> Record | None:  # adds "x" unless the title already ends with it
        return None if current is not None and current.case.title.endswith("x") else titled("x")(current)

    async with inspecting(nats_server.url) as js:
        outbox = Outbox.open(tmp_path / "outbox.sqlite3")
        await mirrored(js, outbox).mutate("jjj:BJ:1", titled("x"), likely_new=True)
        await CaseStore.open(js, by_name("beijing")).mutate("jjj:BJ:1", titled("theirs"))
        later = mirrored(js, outbox)
        record, changed = await later.mutate("jjj:BJ:1", once_x)  # the copy says "x" is there already: it is not
        assert changed and record.case.title == "x|theirs|x"
        assert (await later.get("jjj:BJ:1")).case.title == "x|theirs|x"


def test_an_outbox_of_an_earlier_version_gains_the_revision_and_its_old_copies_are_not_trusted(tmp_path):
    path = tmp_path / "outbox.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE records (case_id TEXT PRIMARY KEY, record BLOB NOT NULL)")
    old.execute("INSERT INTO records VALUES (?, ?)", ("jjj:BJ:1", titled("old")(None).SerializeToString()))
    old.commit()
    old.close()
    outbox = Outbox.open(path)
    assert outbox.stored_record("jjj:BJ:1") is None  # no revision known: the bucket is read
    assert outbox.local_record("jjj:BJ:1").case.title == "old"  # still the copy shown while the bus is away
    outbox.keep_record("jjj:BJ:1", titled("new")(None).SerializeToString(), 7)
    assert outbox.stored_record("jjj:BJ:1")[1] == 7
