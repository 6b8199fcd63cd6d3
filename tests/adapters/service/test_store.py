"""CaseStore on a real bucket: a record this process wrote is changed without reading it first,
and a copy someone else made stale costs one failed compare-and-set, never a lost update."""

from __future__ import annotations

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
