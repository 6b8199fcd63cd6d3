"""The audit store: batches chained across reopenings, cursors with the records, anchors apart."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.audit.store import AuditStore, anchors_path, read_records
from kernel import audit
from kernel.security.keys import KeyEntry, KeyRegistry
from kernel.security.signing import Signer

T0 = datetime(2026, 3, 1, tzinfo=UTC).isoformat()


def entry(envelope_id: str, case_id: str = "jjj:BJ:1") -> audit.AuditEntry:
    return audit.AuditEntry(T0, "status", envelope_id, case_id, "hebei", "beijing", "verified", "STATUS_RECEIVED", "ab", "k")


def test_batches_chain_on_across_a_reopen_and_cursors_move_with_them(tmp_path):
    path = tmp_path / "audit.sqlite3"
    store = AuditStore(path)
    store.append([entry("a"), entry("b", case_id="jjj:HE:2")], {"JJJ_STATUS": 7})
    store.close()
    store = AuditStore(path)
    assert store.cursor("JJJ_STATUS") == 7 and store.cursor("JJJ_SHARES") == 0
    (third,) = store.append([entry("c")], {"JJJ_STATUS": 9, "JJJ_SHARES": 1})
    assert third.seq == 3 and third.prev_hash == read_records(path)[1].hash
    assert [r.envelope_id for r in store.records("jjj:BJ:1")] == ["a", "c"]
    assert isinstance(audit.verify(read_records(path)), audit.Verified)

    signer = Signer.generate("federation")
    store.add_anchor(audit.anchor(third, signer, T0))
    assert anchors_path(path).name == "audit-anchors.jsonl" and store.anchors()[0].seq == 3
    keys = KeyRegistry((KeyEntry.for_signer(signer, datetime(2026, 1, 1, tzinfo=UTC)),))
    assert audit.verify(read_records(path), store.anchors(), keys) == audit.Verified(3, third.hash, 3)
    store.close()
