"""The receipts of one acknowledgement batch travel as one bus message (kernel.bus.bundles), and every
reader takes each receipt in it as if it had come alone: the sender keeps each with its case (the
proof GetCase shows, verifiable on its own), the gateway projects and audits each; a bad receipt in a
bundle is dead-lettered alone, and one that comes before its case's record holds the bundle back
until it can be kept.

Real nats-server, real adapters and gateway over mutual TLS."""

from __future__ import annotations

import pytest

from kernel import jurisdictions
from kernel.bus import bundles, subjects
from kernel.security import envelopes as signed
from kernel.security.keys import RegistryFile, load_signer
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c
from tests.conftest import SHARED
from tests.support.bus import Bus
from tests.support.relay import eventually, read_items, submit_request

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
CHAOYANG = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_complaint_chaoyang.json"
SANHE_ID = "jjj:BJ:BJ2026112400002001"
REFERRAL, RECEIPT = envelope_pb2.FLOW_REFERRAL, envelope_pb2.FLOW_RECEIPT
Reason = envelope_pb2.DeadLetterReason
BEIJING, HEBEI = jurisdictions.by_name("beijing"), jurisdictions.by_name("hebei")
RECEIPT_SUBJECT = subjects.subject(RECEIPT, BEIJING, HEBEI)
TRACKER = subjects.durable_name(subjects.STATE_PURPOSE, BEIJING.token, RECEIPT)


@pytest.fixture
async def bus(settings):
    client = await Bus.connect(settings.nats_url)
    yield client
    await client.close()


async def receipts_of(stub, case_id: str):
    record = await stub.GetCase(adapter_pb2.GetCaseRequest(case_id=case_id))
    return list(record.receipts) or None


async def test_one_acknowledgement_batch_sends_one_message_and_each_case_keeps_its_own_proof(federation, bus, settings):
    await federation.start("beijing", "hebei")
    await federation.start_gateway()
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await beijing.SubmitDocument(submit_request(CHAOYANG, destination=c.JURISDICTION_HEBEI))
    items, call = await read_items(hebei, count=2, flows=[REFERRAL])
    await hebei.AcknowledgeInboxItems(adapter_pb2.AcknowledgeInboxItemsRequest(item_ids=[i.item_id for i in items]))
    call.cancel()

    async def stored_receipts():
        return await bus.stored("JJJ_RECEIPTS") or None
    (message,) = await eventually(stored_receipts)
    assert message.subject == RECEIPT_SUBJECT and message.headers[bundles.BUNDLE_HEADER] == "2"
    carried = bundles.envelopes_of(message)
    assert len(carried) == 2
    keys = RegistryFile(settings.key_registry_path())
    by_envelope = {}
    for data in carried:
        checked = signed.verify_message(data, RECEIPT_SUBJECT, keys, receiver=BEIJING, published_at=None)
        assert isinstance(checked, signed.Verified) and checked.key.owner == "hebei"
        by_envelope[checked.envelope.receipt.envelope_id] = checked.envelope
    assert set(by_envelope) == {item.envelope.envelope_id for item in items}

    for item in items:
        case_id = item.envelope.referral.case.case_id
        (proof,) = await eventually(lambda case_id=case_id: receipts_of(beijing, case_id))
        # The proof is that receipt's own envelope, signature and all: checked without the rest of the bundle.
        assert proof == by_envelope[item.envelope.envelope_id]
        assert proof.receipt.case_id == case_id
        assert proof.receipt.envelope_digest == signed.digest(
            next(m.data for m in await bus.stored("JJJ_REFERRALS") if m.seq == int(item.item_id.rsplit(":", 1)[1])))
    await eventually(lambda: bus.settled("JJJ_RECEIPTS", TRACKER))

    store, audit = federation.gateway.store, federation.gateway.auditor.store
    async def seen_by_the_gateway():
        delivered = [store.delivered_at(item.envelope.envelope_id, c.JURISDICTION_HEBEI) for item in items]
        audited = {r.envelope_id: r.status for r in audit.records() if r.kind == "receipt"}
        return audited if all(delivered) and len(audited) == 2 else None
    audited = await eventually(seen_by_the_gateway)
    assert audited == {f"receipt/{item.envelope.envelope_id}": "verified" for item in items}


def receipt_for(case_id: str, *, digest: bytes = bytes(32)) -> envelope_pb2.Envelope:
    envelope_id = subjects.case_envelope_id(case_id, REFERRAL, 1)
    receipt = envelope_pb2.Envelope(
        envelope_id=f"receipt/{envelope_id}", flow=RECEIPT, sender=c.JURISDICTION_HEBEI, destination=c.JURISDICTION_BEIJING,
        receipt=envelope_pb2.Receipt(envelope_id=envelope_id, envelope_digest=digest, receiver=c.JURISDICTION_HEBEI,
                                     flow=REFERRAL, case_id=case_id))
    receipt.sent_at.GetCurrentTime()
    return receipt


async def test_a_bad_receipt_is_dead_lettered_alone_and_an_early_one_holds_its_bundle_back_until_kept(
        federation, bus, settings):
    settings.security.max_retries, settings.security.retry_delay_seconds = 30, 0.05
    await federation.start("beijing")
    beijing = federation.stub("beijing")
    chaoyang_id = (await beijing.SubmitDocument(
        submit_request(CHAOYANG, destination=c.JURISDICTION_HEBEI))).submissions[0].case_id
    hebei_signer = load_signer(settings.signing_key_path("hebei"), "hebei")
    good = signed.sign(receipt_for(chaoyang_id), hebei_signer)
    tampered = bytearray(signed.sign(receipt_for(chaoyang_id, digest=bytes([7]) * 32), hebei_signer))
    tampered[-1] ^= 1
    early = signed.sign(receipt_for(SANHE_ID), hebei_signer)  # Beijing has not sent this case yet
    seq = await bus.inject(RECEIPT_SUBJECT, bundles.pack([good, bytes(tampered), early]),
                           headers={bundles.BUNDLE_HEADER: "3"})

    async def dead_letter():
        return [d for d in await bus.dead_letters(BEIJING.token) if d.stream_sequence == seq] or None
    (letter,) = await eventually(dead_letter)
    assert letter.reason == Reason.DEAD_LETTER_REASON_BAD_SIGNATURE and letter.envelope == bytes(tampered)
    assert letter.subject == RECEIPT_SUBJECT  # a redrive republishes that receipt alone
    (kept,) = await eventually(lambda: receipts_of(beijing, chaoyang_id))
    assert kept.receipt.envelope_digest == bytes(32)  # the good one, not the tampered one
    # The early receipt keeps the bundle unsettled (put back, retried) until its case is recorded.
    assert not await bus.settled("JJJ_RECEIPTS", TRACKER)
    await beijing.SubmitDocument(submit_request(SANHE))
    (early_kept,) = await eventually(lambda: receipts_of(beijing, SANHE_ID))
    assert early_kept.receipt.case_id == SANHE_ID
    await eventually(lambda: bus.settled("JJJ_RECEIPTS", TRACKER))
    # Taken again whole while it waited: each receipt is still kept once, the bad one dead-lettered once.
    assert len(await receipts_of(beijing, chaoyang_id)) == 1
    assert len([d for d in await bus.dead_letters(BEIJING.token) if d.stream_sequence == seq]) == 1
