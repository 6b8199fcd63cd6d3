"""The audit log takes a bundled message's envelopes one by one, and its cursor passes the message only
with the last of them: a batch that ends inside a bundle is read again from that bundle after a restart."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from gateway.audit.auditor import Auditor
from gateway.audit.store import AuditStore
from kernel.bus import bundles
from kernel.security.envelopes import VerificationCache
from kernel.security.keys import KeyRegistry
from kernel.security.signing import Signer
from jjj.bus.v1 import envelope_pb2

AT = datetime(2026, 12, 3, tzinfo=UTC)


def receipt(n: int) -> bytes:
    return envelope_pb2.Envelope(envelope_id=f"receipt/jjj:BJ:{n}/referral/1", flow=envelope_pb2.FLOW_RECEIPT,
                                 receipt=envelope_pb2.Receipt(envelope_id=f"jjj:BJ:{n}/referral/1",
                                                              case_id=f"jjj:BJ:{n}")).SerializeToString()


def message(seq: int, envelopes: list[bytes]):
    meta = SimpleNamespace(stream="JJJ_RECEIPTS", sequence=SimpleNamespace(stream=seq), timestamp=AT)
    return SimpleNamespace(subject="jjj.receipt.bj.he", data=bundles.pack(envelopes), metadata=meta,
                           headers={bundles.BUNDLE_HEADER: str(len(envelopes))})


async def test_each_envelope_is_a_record_and_the_cursor_passes_a_bundle_only_with_its_last(tmp_path):
    store = AuditStore(tmp_path / "audit.sqlite3")
    auditor = Auditor(None, store, VerificationCache(KeyRegistry(())), Signer.generate("federation"))
    await auditor._on_message(message(5, [receipt(1), receipt(2), receipt(3)]))
    taken = [auditor.queue.get_nowait() for _ in range(3)]
    assert [(t.seq, t.part, t.last) for t in taken] == [(5, 0, False), (5, 1, False), (5, 2, True)]

    auditor._append(taken[:2])  # a batch ending inside the bundle
    assert store.cursor("JJJ_RECEIPTS") == 4
    auditor._append(taken[2:])
    assert store.cursor("JJJ_RECEIPTS") == 5
    assert [r.envelope_id for r in store.records()] == [f"receipt/jjj:BJ:{n}/referral/1" for n in (1, 2, 3)]
    assert [r.case_id for r in store.records()] == ["jjj:BJ:1", "jjj:BJ:2", "jjj:BJ:3"]
    store.close()
