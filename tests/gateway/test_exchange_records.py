"""The operational-monitoring record of a message: from its stream message and from its receiver's receipt,
whichever the gateway reads first."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from gateway.audit import exchanges
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

PUBLISHED = datetime(2026, 11, 24, 8, 0, 1, tzinfo=UTC)


def _referral() -> bytes:
    envelope = envelope_pb2.Envelope(envelope_id="jjj:BJ:1/referral/1", flow=envelope_pb2.FLOW_REFERRAL,
                                     sender=case_pb2.JURISDICTION_BEIJING, destination=case_pb2.JURISDICTION_HEBEI)
    envelope.referral.case.case_id = "jjj:BJ:1"
    envelope.sent_at.FromDatetime(PUBLISHED - timedelta(seconds=1))
    return envelope.SerializeToString()


def _receipt(deliveries: int) -> bytes:
    receipt = envelope_pb2.Receipt(envelope_id="jjj:BJ:1/referral/1", receiver=case_pb2.JURISDICTION_HEBEI,
                                   flow=envelope_pb2.FLOW_REFERRAL, case_id="jjj:BJ:1", delivery_count=deliveries)
    receipt.delivered_at.FromDatetime(PUBLISHED + timedelta(seconds=2))
    receipt.acknowledged_at.FromDatetime(PUBLISHED + timedelta(seconds=5))
    envelope = envelope_pb2.Envelope(envelope_id="receipt/jjj:BJ:1/referral/1", flow=envelope_pb2.FLOW_RECEIPT,
                                     sender=case_pb2.JURISDICTION_HEBEI, destination=case_pb2.JURISDICTION_BEIJING, receipt=receipt)
    return envelope.SerializeToString()


def _row(db: sqlite3.Connection) -> dict:
    db.row_factory = sqlite3.Row
    (row,) = db.execute("SELECT * FROM exchange_records").fetchall()
    return dict(row)


def test_the_record_holds_times_size_and_deliveries_whichever_comes_first():
    referral, receipt_at = _referral(), PUBLISHED + timedelta(seconds=6)
    for order in ("message first", "receipt first"):
        db = sqlite3.connect(":memory:")
        exchanges.create(db)
        message = exchanges.observation_of("JJJ_REFERRALS", 7, referral, PUBLISHED, verified=True)
        acknowledged = exchanges.observation_of("JJJ_RECEIPTS", 3, _receipt(2), receipt_at, verified=True)
        exchanges.write(db, [message, acknowledged] if order == "message first" else [acknowledged, message])
        row = _row(db)
        assert row == {"envelope_id": "jjj:BJ:1/referral/1", "case_id": "jjj:BJ:1", "stream": "JJJ_REFERRALS", "stream_seq": 7,
                       "sent_at": "2026-11-24T08:00:00+00:00", "published_at": "2026-11-24T08:00:01+00:00",
                       "size_bytes": len(referral), "publications": 1, "delivered_at": "2026-11-24T08:00:03+00:00",
                       "acknowledged_at": "2026-11-24T08:00:06+00:00", "delivery_count": 2,
                       "receipt_at": "2026-11-24T08:00:07+00:00"}, order


def test_a_redrive_is_counted_the_first_acknowledgement_stands_and_an_unverified_receipt_is_not_taken():
    db = sqlite3.connect(":memory:")
    exchanges.create(db)
    assert exchanges.observation_of("JJJ_RECEIPTS", 1, _receipt(9), PUBLISHED, verified=False) is None
    assert exchanges.observation_of("JJJ_REFERRALS", 1, b"not an envelope", PUBLISHED, verified=False) is None
    exchanges.write(db, [exchanges.observation_of("JJJ_REFERRALS", 7, _referral(), PUBLISHED, verified=True),
                         exchanges.observation_of("JJJ_RECEIPTS", 3, _receipt(1), PUBLISHED, verified=True),
                         exchanges.observation_of("JJJ_REFERRALS", 9, _referral(), PUBLISHED + timedelta(hours=1), verified=True),
                         exchanges.observation_of("JJJ_RECEIPTS", 4, _receipt(3), PUBLISHED + timedelta(hours=1), verified=True)])
    row = _row(db)
    assert (row["publications"], row["stream_seq"], row["published_at"]) == (2, 7, "2026-11-24T08:00:01+00:00")
    assert (row["delivery_count"], row["receipt_at"]) == (1, "2026-11-24T08:00:01+00:00")
