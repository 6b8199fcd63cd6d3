"""The outbox on disk: order, atomic commits, surviving a crash between commit and publish, the request log."""

from __future__ import annotations

import asyncio
import sqlite3
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.service.outbox import REQUEST_TTL_SECONDS, Answer, Outbox, Outgoing, outbox_path
from adapters.service.records import Record
from kernel.jurisdictions import by_name


def outgoing(n: int, case: str = "") -> Outgoing:
    case_id = case or f"jjj:BJ:{n}"
    return Outgoing(msg_id=f"{case_id}/referral/1", case_id=case_id, subject="jjj.referral.he.bj",
                    envelope=f"envelope {n}".encode())


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def path(tmp_path):
    return outbox_path(tmp_path / "data", by_name("beijing"))


def test_the_database_is_in_wal_mode_commits_entries_with_full_sync_and_only_its_owner_reads_it(path):
    outbox = Outbox.open(path)
    (entry,) = outbox.commit([outgoing(1)])
    assert path.parent.name == "outbox" and path.name == "beijing.sqlite3"
    assert outbox._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert outbox._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: the answer depends on it
    outbox.mark_done(entry)
    assert outbox._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL: redone if lost
    wal = path.with_name(path.name + "-wal")
    assert wal.exists()
    for file in (path, wal):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    outbox.close()


def test_entries_come_back_in_the_order_they_were_committed(path):
    outbox = Outbox.open(path)
    first = outbox.commit([outgoing(1), outgoing(2)])
    second = outbox.commit([outgoing(3)])
    assert first[0] < first[1] < second[0]
    assert [e.msg_id for e in outbox.pending()] == ["jjj:BJ:1/referral/1", "jjj:BJ:2/referral/1", "jjj:BJ:3/referral/1"]
    outbox.mark_done(first[0])
    assert [e.id for e in outbox.pending()] == [first[1], second[0]]


def test_reading_what_is_pending_does_not_scan_the_done_entries_kept_beside_it(path):
    outbox = Outbox.open(path)
    done = outbox.commit([outgoing(n) for n in range(200)])
    outbox.mark_done_many(done)
    waiting = outbox.commit([outgoing(1000)])
    plan = outbox._db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM entries WHERE done_at IS NULL AND refused IS NULL ORDER BY id").fetchall()
    assert "USING INDEX entries_pending_in_order" in " ".join(row[-1] for row in plan), plan
    assert [e.id for e in outbox.pending()] == waiting
    outbox.close()


@given(st.lists(st.lists(st.integers(0, 10_000), min_size=1, max_size=4), min_size=1, max_size=6))
def test_pending_is_every_batch_in_commit_order(tmp_path_factory, batches):
    outbox = Outbox.open(tmp_path_factory.mktemp("outbox") / "o.sqlite3")
    for batch in batches:
        outbox.commit([outgoing(n) for n in batch])
    assert [e.envelope for e in outbox.pending()] == [f"envelope {n}".encode() for batch in batches for n in batch]
    outbox.close()


def test_a_crash_after_the_commit_leaves_every_entry_for_the_next_start(path):
    outbox = Outbox.open(path)
    ids = outbox.commit([outgoing(1), outgoing(2)], Answer("SubmitDocument", "req-1", "fp", b"queued answer"))
    # No close, no checkpoint: the process is gone with the WAL as it was.
    del outbox
    again = Outbox.open(path)
    assert [(e.id, e.msg_id, e.envelope) for e in again.pending()] == [
        (ids[0], "jjj:BJ:1/referral/1", b"envelope 1"), (ids[1], "jjj:BJ:2/referral/1", b"envelope 2")]
    assert again.recall("SubmitDocument", "req-1") == ("fp", b"queued answer")


def test_an_entry_marked_done_is_not_relayed_again_after_a_restart_and_ids_are_never_reused(path):
    clock = Clock()
    outbox = Outbox.open(path, clock)
    (done,) = outbox.commit([outgoing(1)])
    outbox.mark_done(done)
    clock.now += 2 * 24 * 3600
    outbox.close()
    again = Outbox.open(path, clock)  # opening prunes what was relayed long ago
    assert again.pending() == []
    assert again._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 0
    (later,) = again.commit([outgoing(2)])
    assert later > done


def test_a_commit_that_fails_stores_nothing(path):
    outbox = Outbox.open(path)
    with pytest.raises(sqlite3.IntegrityError):
        outbox.commit([outgoing(1), outgoing(2)], Answer("SubmitDocument", "req-1", None, b"answer"))  # type: ignore[arg-type]
    assert outbox.pending() == []
    assert outbox.recall("SubmitDocument", "req-1") is None


def test_a_refused_entry_is_kept_aside_and_the_others_stay_pending(path):
    outbox = Outbox.open(path)
    first, second = outbox.commit([outgoing(1), outgoing(2)])
    outbox.mark_refused(first, "message too large")
    assert [e.id for e in outbox.pending()] == [second]
    assert [(e.id, why) for e, why in outbox.refused()] == [(first, "message too large")]


def test_pending_of_one_case(path):
    outbox = Outbox.open(path)
    outbox.commit([outgoing(1, "jjj:BJ:A"), outgoing(2, "jjj:BJ:B"), outgoing(3, "jjj:BJ:A")])
    assert [e.envelope for e in outbox.pending(case_id="jjj:BJ:A")] == [b"envelope 1", b"envelope 3"]


def test_the_answer_to_a_request_id_is_replaced_by_the_final_one_and_forgotten_after_the_ttl(path):
    clock = Clock()
    outbox = Outbox.open(path, clock)
    outbox.commit([outgoing(1)], Answer("SubmitDocument", "req-1", "fp", b"queued"))
    outbox.remember(Answer("SubmitDocument", "req-1", "fp", b"sent"))
    assert outbox.recall("SubmitDocument", "req-1") == ("fp", b"sent")
    assert outbox.recall("ReportStatus", "req-1") is None
    clock.now += REQUEST_TTL_SECONDS + 1
    assert outbox.recall("SubmitDocument", "req-1") is None


def test_the_local_copy_of_a_record_is_the_last_one_kept(path):
    outbox = Outbox.open(path)
    assert outbox.local_record("jjj:BJ:1") is None
    record = Record(attempt=1, sequence=0)
    record.case.case_id = "jjj:BJ:1"
    outbox.keep_record("jjj:BJ:1", record.SerializeToString(), 4)
    record.sequence = 3
    outbox.keep_record("jjj:BJ:1", record.SerializeToString(), 9)
    outbox.close()
    assert Outbox.open(path).local_record("jjj:BJ:1") == record
    assert Outbox.open(path).stored_record("jjj:BJ:1") == (record.SerializeToString(), 9)


def _records_on_disk(path) -> dict[str, int]:
    with sqlite3.connect(path) as reader:
        return dict(reader.execute("SELECT case_id, revision FROM records"))


async def test_records_kept_soon_are_read_back_at_once_and_written_together_after_the_turn(path):
    outbox = Outbox.open(path)
    commits = []
    outbox._db.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    record = Record(attempt=1)
    for n in range(16):
        record.case.case_id = f"jjj:BJ:{n}"
        outbox.keep_record_soon(record.case.case_id, record.SerializeToString(), n + 1)
    assert outbox.stored_record("jjj:BJ:3") == (Record(attempt=1, case={"case_id": "jjj:BJ:3"}).SerializeToString(), 4)
    assert outbox.local_record("jjj:BJ:15").case.case_id == "jjj:BJ:15"
    assert _records_on_disk(path) == {} and commits == []
    await asyncio.sleep(0)
    assert _records_on_disk(path) == {f"jjj:BJ:{n}": n + 1 for n in range(16)}
    assert len(commits) == 1  # one transaction for the turn's records
    outbox.close()


async def test_a_record_kept_soon_then_kept_at_once_is_the_later_one_and_close_writes_what_is_left(path):
    outbox = Outbox.open(path)
    record = Record(attempt=1, case={"case_id": "jjj:BJ:1"})
    outbox.keep_record_soon("jjj:BJ:1", record.SerializeToString(), 3)
    outbox.keep_record("jjj:BJ:1", record.SerializeToString(), 5)
    assert outbox.stored_record("jjj:BJ:1")[1] == 5
    await asyncio.sleep(0)
    assert _records_on_disk(path) == {"jjj:BJ:1": 5}
    outbox.keep_record_soon("jjj:BJ:2", record.SerializeToString(), 7)
    outbox.close()  # before the loop's turn: written by the close
    assert _records_on_disk(path) == {"jjj:BJ:1": 5, "jjj:BJ:2": 7}


def _answers_on_disk(path) -> dict[str, bytes]:
    with sqlite3.connect(path) as reader:
        return {request_id: bytes(response) for request_id, response in reader.execute("SELECT request_id, response FROM requests")}


async def test_final_answers_remembered_soon_are_recalled_at_once_and_written_with_the_turns_records(path):
    outbox = Outbox.open(path)
    commits = []
    outbox._db.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    for n in range(8):
        outbox.commit([outgoing(n)], Answer("SubmitDocument", f"req-{n}", "fp", b"queued"), durable=False)
    commits.clear()
    for n in range(8):
        outbox.remember_soon(Answer("SubmitDocument", f"req-{n}", "fp", b"sent"))
    outbox.keep_record_soon("jjj:BJ:1", Record(attempt=1).SerializeToString(), 3)
    assert outbox.recall("SubmitDocument", "req-5") == ("fp", b"sent")  # a retry now gets the final answer
    # A crash now leaves the provisional answers standing: "queued", still true (the entries are committed).
    assert set(_answers_on_disk(path).values()) == {b"queued"} and commits == []
    await asyncio.sleep(0)
    assert _answers_on_disk(path) == {f"req-{n}": b"sent" for n in range(8)}
    assert _records_on_disk(path) == {"jjj:BJ:1": 3}
    assert len(commits) == 1  # the turn's answers and records in one transaction
    outbox.close()


async def test_an_answer_forgotten_or_remembered_at_once_before_the_turn_is_not_brought_back_by_it(path):
    outbox = Outbox.open(path)
    outbox.commit([outgoing(1)], Answer("SubmitDocument", "req-1", "fp", b"queued"))
    outbox.remember_soon(Answer("SubmitDocument", "req-1", "fp", b"sent"))
    outbox.forget("SubmitDocument", "req-1")  # refused after all: a retry is planned afresh
    assert outbox.recall("SubmitDocument", "req-1") is None
    outbox.remember_soon(Answer("ShareInformation", "req-2", "fp", b"first"))
    outbox.remember(Answer("ShareInformation", "req-2", "fp", b"second"))
    await asyncio.sleep(0)
    assert _answers_on_disk(path) == {"req-2": b"second"}
    outbox.remember_soon(Answer("ShareInformation", "req-3", "fp", b"third"))
    outbox.close()  # before the loop's turn: written by the close
    assert _answers_on_disk(path) == {"req-2": b"second", "req-3": b"third"}


def test_without_a_running_loop_an_answer_remembered_soon_is_written_at_once(path):
    outbox = Outbox.open(path)
    outbox.remember_soon(Answer("SubmitDocument", "req-1", "fp", b"sent"))
    assert _answers_on_disk(path) == {"req-1": b"sent"}
    outbox.close()
