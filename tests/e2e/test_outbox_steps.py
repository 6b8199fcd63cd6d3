"""Lifecycle steps go through the outbox like submissions: durable before answered, relayed once.

The fault suite found the failure this prevents: a step published but not yet recorded when
the adapter (or nats-server) died was planned afresh on the member's retry, with the step
number the bus already had, so every retry was refused as taken and the case was stuck (or,
when the retry came after the record caught up, the step was taken twice).
"""

from __future__ import annotations

import grpc
import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from kernel.bus import jetstream
from kernel.config import OutboxSettings
from kernel.security import pki
from tests.support.bus import messages_on
from tests.support.outbox import hebei_documents, to_beijing
from tests.support.relay import eventually, take
from tests.support.secure import connect_as

REFERRAL, STATUS = envelope_pb2.FLOW_REFERRAL, envelope_pb2.FLOW_STATUS_UPDATE


async def _referred_to_beijing(federation) -> str:
    hebei, beijing = federation.stub("hebei"), federation.stub("beijing")
    (submission,) = (await hebei.SubmitDocument(to_beijing(hebei_documents(1)[0], "he-steps"), timeout=30)).submissions
    assert not submission.queued
    (item,) = await take(beijing, 1, flows=[REFERRAL], timeout=20)
    await beijing.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=item.item_id), timeout=10)
    return submission.case_id


async def test_a_step_published_but_not_recorded_before_a_crash_is_relayed_once_and_its_retry_answers_the_same(
        federation, nats_server, pki_layout):
    await federation.start("hebei", "beijing")
    case_id = await _referred_to_beijing(federation)
    relay = federation.running["beijing"].relay
    await relay.drainer.stop()  # the step stays in Beijing's outbox, as if the adapter died right after publishing it
    relay.outbox_settings = OutboxSettings(answer_wait_seconds=0.5)
    step = adapter_pb2.ReportStatusRequest(case_id=case_id, status=case_pb2.STATUS_RECEIVED, request_id="bj-sign")
    signed_for = await federation.stub("beijing").ReportStatus(step, timeout=10)
    assert signed_for.queued

    # Its first publish did reach the bus before the crash: the entry's own bytes, from Beijing's adapter.
    (entry,) = relay.outbox.pending(case_id=case_id)
    nc = await connect_as(nats_server.url, pki_layout, pki.adapter_principal("beijing"))
    try:
        await jetstream.publish_bytes(nc.jetstream(), entry.subject, entry.envelope, msg_id=entry.msg_id,
                                      content_type=jetstream.ENVELOPE_CONTENT_TYPE)
    finally:
        await nc.close()
    await federation.stop("beijing")
    await federation.start("beijing")
    beijing = federation.stub("beijing")

    assert await beijing.ReportStatus(step, timeout=10) == signed_for  # the same answer: nothing planned afresh

    async def recorded_at_holder() -> bool:
        record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=case_id), timeout=10)
        return (record.case.status, record.sequence) == (case_pb2.STATUS_RECEIVED, signed_for.sequence)

    await eventually(recorded_at_holder, timeout=20)
    (status,) = await take(federation.stub("hebei"), 1, flows=[STATUS], timeout=20)
    assert (status.envelope.status_update.sequence, status.envelope.status_update.status) == (
        signed_for.sequence, case_pb2.STATUS_RECEIVED)
    assert await messages_on(nats_server.url, STATUS) == {"jjj.status.he.bj": 1}
    accepted = await beijing.ReportStatus(adapter_pb2.ReportStatusRequest(
        case_id=case_id, status=case_pb2.STATUS_ACCEPTED, request_id="bj-accept"), timeout=10)
    assert (accepted.sequence, accepted.queued) == (signed_for.sequence + 1, False)


async def test_a_step_whose_number_the_other_side_took_first_is_refused_as_a_conflict(federation, nats_server, pki_layout):
    await federation.start("hebei", "beijing")
    case_id = await _referred_to_beijing(federation)
    record = await federation.stub("beijing").GetCase(adapter_pb2.GetCaseRequest(case_id=case_id), timeout=10)
    # Hebei's report of the same step number is on the bus first (its take-back), before Beijing has heard of it.
    taken = envelope_pb2.Envelope(
        envelope_id=f"{case_id}/status/{record.sequence + 1}", flow=STATUS, sender=case_pb2.JURISDICTION_HEBEI,
        destination=case_pb2.JURISDICTION_BEIJING)
    nc = await connect_as(nats_server.url, pki_layout, pki.adapter_principal("hebei"))
    try:
        await jetstream.publish_bytes(nc.jetstream(), "jjj.status.bj.he", taken.SerializeToString(),
                                      msg_id=taken.envelope_id, content_type=jetstream.ENVELOPE_CONTENT_TYPE)
    finally:
        await nc.close()

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await federation.stub("beijing").ReportStatus(adapter_pb2.ReportStatusRequest(
            case_id=case_id, status=case_pb2.STATUS_RECEIVED, request_id="bj-late"), timeout=20)
    assert refused.value.code() == grpc.StatusCode.ABORTED
    assert "taken by another report" in refused.value.details()
    after = await federation.stub("beijing").GetCase(adapter_pb2.GetCaseRequest(case_id=case_id), timeout=10)
    assert (after.case.status, after.sequence) == (case_pb2.STATUS_REFERRED, record.sequence)
