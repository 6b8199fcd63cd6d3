"""Receipts as the receiving adapter makes them: what each says, and which travel together. Pure."""

from __future__ import annotations

from kernel import jurisdictions
from kernel.security import envelopes as signed
from adapters.service.receipts import by_sender, receipt_for
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c

HEBEI = jurisdictions.by_name("hebei")


def referral(case_id: str, sender: int) -> envelope_pb2.Envelope:
    return envelope_pb2.Envelope(envelope_id=f"{case_id}/referral/1", flow=envelope_pb2.FLOW_REFERRAL, sender=sender,
                                 destination=HEBEI.enum, referral=envelope_pb2.Referral(case=c.Case(case_id=case_id)))


def test_a_receipt_names_the_message_its_bytes_the_receiver_and_when_it_was_shown():
    envelope = referral("jjj:BJ:1", c.JURISDICTION_BEIJING)
    made = receipt_for(HEBEI, envelope, b"as taken", delivered_at=1_700_000_000.5, delivery_count=2)
    assert made.envelope_id == "receipt/jjj:BJ:1/referral/1" and made.flow == envelope_pb2.FLOW_RECEIPT
    assert (made.sender, made.destination) == (HEBEI.enum, c.JURISDICTION_BEIJING)
    receipt = made.receipt
    assert receipt.envelope_id == "jjj:BJ:1/referral/1" and receipt.case_id == "jjj:BJ:1"
    assert receipt.envelope_digest == signed.digest(b"as taken") and receipt.receiver == HEBEI.enum
    assert receipt.delivered_at.ToNanoseconds() == 1_700_000_000_500_000_000 and receipt.delivery_count == 2
    assert receipt.acknowledged_at.seconds > 0


def test_the_federations_notices_get_no_receipt():
    assert receipt_for(HEBEI, referral("jjj:BJ:1", c.JURISDICTION_UNSPECIFIED), b"x") is None


def test_receipts_are_grouped_by_the_sender_they_go_back_to_in_order():
    made = [receipt_for(HEBEI, referral(f"jjj:{t}:{n}", sender), b"x")
            for n, (t, sender) in enumerate([("BJ", c.JURISDICTION_BEIJING), ("TJ", c.JURISDICTION_TIANJIN),
                                             ("BJ", c.JURISDICTION_BEIJING)])]
    grouped = by_sender([made[0], None, made[1], made[2]])
    assert list(grouped) == [c.JURISDICTION_BEIJING, c.JURISDICTION_TIANJIN]
    assert [r.receipt.case_id for r in grouped[c.JURISDICTION_BEIJING]] == ["jjj:BJ:0", "jjj:BJ:2"]
    assert [r.receipt.case_id for r in grouped[c.JURISDICTION_TIANJIN]] == ["jjj:TJ:1"]
