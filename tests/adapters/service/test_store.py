"""CaseStore on a real bucket: a record this process wrote is changed without reading it first,
and a copy someone else made stale costs one failed compare-and-set, never a lost update."""

from __future__ import annotations

import asyncio
import sqlite3

from adapters.service.outbox import MirroredCaseStore, Outbox
from adapters.service.records import Record
from adapters.service.store import CaseStore
from kernel.bus.last_values import LastValue
from kernel.jurisdictions import by_name
from tests.support.bus import inspecting


class CountingStore(CaseStore):
    reads = 0

    async def _read(self, key):
        self.reads += 1
        return await super()._read(key)


def titled(title: str, case_id: str = "jjj:BJ:1"):
    def change(current: Record | None) -> Record:
        record = Record()
        if current is not None:
            record.CopyFrom(current)
        record.case.case_id = case_id
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


# -- many records in one read ------------------------------------------------------

class CountingRequests:
    """The client's publishes, counted by subject prefix (a request is one publish)."""

    def __init__(self, nc) -> None:
        self.nc, self.subjects = nc, []
        publish = nc.publish

        async def counted(subject, payload=b"", reply="", headers=None):
            self.subjects.append(subject)
            return await publish(subject, payload, reply=reply, headers=headers)
        nc.publish = counted

    def count(self, prefix: str) -> int:
        return sum(1 for subject in self.subjects if subject.startswith(prefix))


async def test_the_records_of_many_cases_come_in_one_request(nats_server):
    async with inspecting(nats_server.url) as js:
        writer = CaseStore.open(js, by_name("beijing"))
        for number in (1, 3):
            await writer.mutate(f"jjj:BJ:{number}", titled(f"case {number}"), likely_new=True)
        requests = CountingRequests(js._nc)
        reader = CaseStore.open(js, by_name("beijing"), js._nc)
        found = await reader.get_many([f"jjj:BJ:{number}" for number in range(1, 17)])
        assert [record.case.title if record else None for record in found][:4] == ["case 1", None, "case 3", None]
        assert sum(record is not None for record in found) == 2
        assert requests.count("$JS.API.DIRECT.GET.") == 1 and requests.count("$JS.API.STREAM.MSG.GET.") == 0
        assert found == [await CaseStore.open(js, by_name("beijing")).get(f"jjj:BJ:{n}") for n in range(1, 17)]


async def test_concurrent_reads_of_one_case_each_share_requests(nats_server):
    # One work order per SubmitDocument: the calls that come while a read is out share the next one.
    async with inspecting(nats_server.url) as js:
        writer = CaseStore.open(js, by_name("beijing"))
        for number in range(1, 33, 2):
            await writer.mutate(f"jjj:BJ:{number}", titled(f"case {number}"), likely_new=True)
        reader = CaseStore.open(js, by_name("beijing"), js._nc)
        await reader.get_many(["jjj:BJ:1"])  # the bucket looked up
        requests = CountingRequests(js._nc)
        found = await asyncio.gather(*(reader.get_many([f"jjj:BJ:{number}"]) for number in range(1, 33)))
        assert [record.case.title if record else None for (record,) in found] == [
            f"case {number}" if number % 2 else None for number in range(1, 33)]
        assert requests.count("$JS.API.DIRECT.GET.") == 1  # 32 calls in one turn of the loop: one request
        assert requests.count("$JS.API.STREAM.MSG.GET.") == 0


async def test_what_this_process_wrote_last_stands_over_an_older_answer(nats_server, monkeypatch):
    # A clustered bucket's direct get may come from a replica a moment behind: our own newer write stands.
    async with inspecting(nats_server.url) as js:
        store = CaseStore.open(js, by_name("beijing"), js._nc)
        await store.mutate("jjj:BJ:1", titled("sent"), likely_new=True)
        behind = await store.get_many(["jjj:BJ:1", "jjj:BJ:2"])
        await store.mutate("jjj:BJ:1", titled("receipt"))
        from kernel.bus import last_values as last_values_module

        async def stale(nc, stream, subjects, timeout, replies=None):  # the answer from before the second write
            return {subjects[0]: LastValue(behind[0].SerializeToString(), 1)}
        monkeypatch.setattr(last_values_module, "last_values", stale)
        (first, second) = await store.get_many(["jjj:BJ:1", "jjj:BJ:2"])
        assert first.case.title == "sent|receipt" and second is None


async def test_a_bucket_without_direct_gets_is_read_key_by_key(nats_server):
    async with inspecting(nats_server.url) as js:
        stream = (await js.stream_info("KV_JJJ_CASES_BJ")).config
        stream.allow_direct = False
        await js.update_stream(stream)  # a bucket made before they were allowed
        store = CaseStore.open(js, by_name("beijing"), js._nc)
        await store.mutate("jjj:BJ:1", titled("sent"), likely_new=True)
        found = await store.get_many(["jjj:BJ:1", "jjj:BJ:2"])
        assert found[0].case.title == "sent" and found[1] is None
        assert await store.get_many(["jjj:BJ:2", "jjj:BJ:1"]) == [None, found[0]]  # no batched try again


async def test_a_bus_that_does_not_answer_the_bucket_lookup_is_a_named_error_for_a_batched_read(nats_server):
    import nats
    import pytest

    from kernel.errors import BusUnavailable

    async with inspecting(nats_server.url) as js:
        store = CaseStore.open(js, by_name("beijing"), js._nc)

        async def no_answer(name):
            raise nats.errors.TimeoutError
        store._bucket.js.key_value = no_answer  # the test's own context, closed after it
        with pytest.raises(BusUnavailable, match="reading 2 case records"):
            await store.get_many(["jjj:BJ:1", "jjj:BJ:2"])


# -- several cases at once (a relayed batch's records) -----------------------------

def titled_case(case_id: str, title: str):
    return titled(title, case_id)


async def test_a_batch_of_new_and_known_cases_is_written_without_a_read(nats_server):
    async with inspecting(nats_server.url) as js:
        store = CountingStore.open(js, by_name("beijing"))
        await store.mutate("jjj:BJ:known", titled_case("jjj:BJ:known", "sent"), likely_new=True)
        ids = [f"jjj:BJ:{n}" for n in range(20)]
        outcomes = await store.mutate_many([(case_id, titled_case(case_id, "sent"), True) for case_id in ids]
                                           + [("jjj:BJ:known", titled_case("jjj:BJ:known", "receipt"), False)])
        assert all(changed for _, changed in outcomes)
        assert [record.case.case_id for record, _ in outcomes] == [*ids, "jjj:BJ:known"]
        assert store.reads == 0
        again = CaseStore.open(js, by_name("beijing"))  # what the bucket holds, read fresh
        assert [record.case.title for record in await again.get_many(ids)] == ["sent"] * 20
        assert (await again.get("jjj:BJ:known")).case.title == "sent|receipt"
        # and the next change of each is still made against what was written, without a read
        (unchanged,) = await store.mutate_many([("jjj:BJ:3", lambda current: None, False)])
        assert unchanged[1] is False and unchanged[0].case.title == "sent" and store.reads == 0


async def test_in_a_batch_a_stale_copy_an_existing_new_case_and_an_unknown_one_lose_nothing(nats_server):
    async with inspecting(nats_server.url) as js:
        ours, theirs = CountingStore.open(js, by_name("beijing")), CaseStore.open(js, by_name("beijing"))
        await ours.mutate("jjj:BJ:stale", titled_case("jjj:BJ:stale", "sent"), likely_new=True)
        await theirs.mutate("jjj:BJ:stale", titled_case("jjj:BJ:stale", "theirs"))
        await theirs.mutate("jjj:BJ:exists", titled_case("jjj:BJ:exists", "theirs"), likely_new=True)
        await theirs.mutate("jjj:BJ:unknown", titled_case("jjj:BJ:unknown", "theirs"), likely_new=True)
        outcomes = await ours.mutate_many([
            ("jjj:BJ:stale", titled_case("jjj:BJ:stale", "receipt"), False),  # our revision is behind
            ("jjj:BJ:exists", titled_case("jjj:BJ:exists", "ours"), True),  # assumed new, is not
            ("jjj:BJ:unknown", titled_case("jjj:BJ:unknown", "ours"), False),  # no copy: read first
            ("jjj:BJ:fresh", titled_case("jjj:BJ:fresh", "ours"), True),
        ])
        assert [record.case.title for record, _ in outcomes] == ["sent|theirs|receipt", "theirs|ours", "theirs|ours", "ours"]
        assert ours.reads == 3
        fresh = CaseStore.open(js, by_name("beijing"))
        for (record, changed), case_id in zip(outcomes, ["stale", "exists", "unknown", "fresh"], strict=True):
            assert changed and (await fresh.get(f"jjj:BJ:{case_id}")).case.title == record.case.title


async def test_a_batch_on_a_bus_without_the_bucket_names_the_error_for_each_case(nats_server):
    from kernel.errors import BusUnavailable

    async with inspecting(nats_server.url) as js:
        await js.delete_key_value("JJJ_CASES_BJ")
        store = CaseStore.open(js, by_name("beijing"))
        outcomes = await store.mutate_many([(f"jjj:BJ:{n}", titled_case(f"jjj:BJ:{n}", "sent"), True) for n in range(3)])
        assert all(isinstance(outcome, BusUnavailable) for outcome in outcomes), outcomes
