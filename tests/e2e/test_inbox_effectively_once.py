"""Nothing the member acknowledged reaches it again, whatever the bus forgets; acknowledgements say what they did.

Real nats-server, real adapters over mutual TLS. The bus forgetting is made real: the
operator deletes the member's inbox consumer (its ack state goes with it) and the
adapter creates it afresh, so JetStream delivers every message again with delivery count 1.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from kernel.bus import subjects
from kernel.jurisdictions import by_name
from tests.conftest import SHARED
from tests.support.bus import Bus, inbox_consumer, inspecting, stream_sequence
from tests.support.relay import eventually, read_items, submit_request, take
from tests.support.status import from_call

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
CHAOYANG = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_complaint_chaoyang.json"
REFERRAL = envelope_pb2.FLOW_REFERRAL
HEBEI = by_name("hebei").token
REFERRALS = subjects.route_of(REFERRAL).stream
ACK = adapter_pb2.AcknowledgeInboxItemRequest


async def forget_inbox_acks(url: str) -> None:
    """What a nats-server restart did to the consumer's ack state, done on purpose."""
    async with inspecting(url) as js:
        await js.delete_consumer(REFERRALS, subjects.durable_name(subjects.INBOX_PURPOSE, HEBEI, REFERRAL))


async def settled_up_to(url: str, sequence: int) -> bool:
    consumer = await inbox_consumer(url, HEBEI, REFERRAL)
    return consumer.ack_floor.stream_seq >= sequence and consumer.num_ack_pending == 0


async def test_an_acknowledged_referral_the_bus_delivers_again_is_settled_and_never_shown(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing = federation.stub("beijing")
    await beijing.SubmitDocument(submit_request(SANHE))
    (first,) = await take(federation.stub("hebei"), 1, flows=[REFERRAL])

    # The adapter restarts, and meanwhile the bus forgets that the member acknowledged it.
    await federation.stop("hebei")
    await forget_inbox_acks(nats_server.url)
    await federation.start("hebei")
    hebei = federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(CHAOYANG, destination=case_pb2.JURISDICTION_HEBEI))

    (shown,), call = await read_items(hebei, count=1, flows=[REFERRAL])
    assert shown.envelope.envelope_id != first.envelope.envelope_id
    assert shown.envelope.referral.case.native_id in CHAOYANG.read_text(encoding="utf-8")
    assert (await hebei.AcknowledgeInboxItem(ACK(item_id=shown.item_id))).result == adapter_pb2.ACK_RESULT_ACKNOWLEDGED
    # The first was settled on the bus without reaching the member: nothing is pending below the second.
    await eventually(lambda: settled_up_to(nats_server.url, stream_sequence(shown.item_id)), timeout=10)
    call.cancel()


async def test_a_redriven_message_never_acknowledged_is_delivered_and_an_acknowledged_one_is_not(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await beijing.SubmitDocument(submit_request(CHAOYANG, destination=case_pb2.JURISDICTION_HEBEI))
    bus = await Bus.connect(nats_server.url)
    try:
        original = {message.seq: message for message in await bus.stored(REFERRALS)}
        (acknowledged, unacknowledged), call = await read_items(hebei, count=2, flows=[REFERRAL])
        assert (await hebei.AcknowledgeInboxItem(ACK(item_id=acknowledged.item_id))).result == adapter_pb2.ACK_RESULT_ACKNOWLEDGED
        call.cancel()
        # An operator redrives both (as the redrive command does: same bytes and subject, a replay header).
        for item in (acknowledged, unacknowledged):
            message = original[stream_sequence(item.item_id)]
            await bus.js.publish(message.subject, message.data, headers={
                "Jjj-Replay-Count": "1", "Nats-Msg-Id": f"redrive/1/{item.envelope.envelope_id}"})
        await asyncio.sleep(0)
        seen = []
        call = hebei.OpenInbox(adapter_pb2.OpenInboxRequest(flows=[REFERRAL]))
        while len([i for i in seen if i.envelope.envelope_id == unacknowledged.envelope.envelope_id]) < 2:
            seen.append((await asyncio.wait_for(call.read(), 10)).item)
        # The item left by the closed session and its redriven copy, in either order (the parked one waits
        # out the handover grace).
        sightings = [stream_sequence(i.item_id) for i in seen if i.envelope.envelope_id == unacknowledged.envelope.envelope_id]
        assert min(sightings) in original and max(sightings) > max(original)
        assert acknowledged.envelope.envelope_id not in {item.envelope.envelope_id for item in seen}
        call.cancel()
    finally:
        await bus.close()


async def test_acknowledgements_answer_what_they_did(federation):
    await federation.start("beijing", "hebei")
    await federation.stub("beijing").SubmitDocument(submit_request(SANHE))
    hebei = federation.stub("hebei")
    (item,), call = await read_items(hebei, count=1, flows=[REFERRAL])
    # From another session (another channel) than the one it was delivered on.
    other = federation.stub("hebei")
    assert (await other.AcknowledgeInboxItem(ACK(item_id=item.item_id))).result == adapter_pb2.ACK_RESULT_ACKNOWLEDGED
    assert (await hebei.AcknowledgeInboxItem(ACK(item_id=item.item_id))).result == adapter_pb2.ACK_RESULT_ALREADY_ACKNOWLEDGED
    call.cancel()

    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await hebei.AcknowledgeInboxItem(ACK(item_id="JJJ_REFERRALS:999999"))
    answered = from_call(unknown.value)
    assert (answered.code, answered.error_info.reason) == (grpc.StatusCode.NOT_FOUND, "INBOX_ITEM_UNKNOWN")
    assert dict(answered.error_info.metadata) == {"itemId": "JJJ_REFERRALS:999999"}

    with pytest.raises(grpc.aio.AioRpcError) as empty:
        await hebei.AcknowledgeInboxItem(ACK(item_id=""))
    answered = from_call(empty.value)
    assert answered.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in answered.violations] == ["item_id"]


async def test_an_item_acknowledged_after_its_session_ended_is_settled_without_reaching_the_member(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    (item,), call = await read_items(hebei, count=1, flows=[REFERRAL])
    call.cancel()
    # Once the handover time is over the adapter no longer holds it: it went back to the bus.
    running = federation.running["hebei"]
    await eventually(lambda: _async(running.inboxes.held.count() == 0), timeout=10)

    assert (await hebei.AcknowledgeInboxItem(ACK(item_id=item.item_id))).result == adapter_pb2.ACK_RESULT_ACKNOWLEDGED
    await beijing.SubmitDocument(submit_request(CHAOYANG, destination=case_pb2.JURISDICTION_HEBEI))
    (next_item,), call = await read_items(hebei, count=1, flows=[REFERRAL])
    assert next_item.envelope.envelope_id != item.envelope.envelope_id
    await hebei.AcknowledgeInboxItem(ACK(item_id=next_item.item_id))
    await eventually(lambda: settled_up_to(nats_server.url, stream_sequence(next_item.item_id)), timeout=10)
    call.cancel()


async def _async(value):
    return value


def crash_and_restart(server, layout) -> None:
    """nats-server killed (no flush of its consumers' state), then the same server again on its port and
    JetStream store (the fixture stops it at the end)."""
    from cli import natsserver

    server.process.kill()
    server.process.wait()
    again = natsserver.start(server.store_dir.parent, layout, host=server.host, port=server.port)
    server.process, server.log_file = again.process, again.log_file


async def test_referrals_acknowledged_just_before_a_nats_server_restart_are_not_shown_again(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    samples = SHARED / "jurisdictions/beijing/samples/valid"
    names = ("bj_rx_transfer_sanhe.json", "bj_rx_quality_flags.json", "bj_rx_anonymous_web.json")
    for name in names:
        await beijing.SubmitDocument(submit_request(samples / name, destination=case_pb2.JURISDICTION_HEBEI))
    acknowledged = await take(hebei, len(names), flows=[REFERRAL])

    crash_and_restart(nats_server, federation.pki)  # the bus remembers of those acks what it had flushed

    async def marker_sent():
        try:
            await beijing.SubmitDocument(submit_request(CHAOYANG, request_id="marker", destination=case_pb2.JURISDICTION_HEBEI))
        except grpc.aio.AioRpcError:  # the bus is still coming back: a member retries
            return False
        return True

    await eventually(marker_sent, timeout=20, interval=0.5)

    async def first_item():
        try:
            (item,), call = await read_items(hebei, count=1, flows=[REFERRAL])
        except grpc.aio.AioRpcError:
            return None
        return item, call

    item, call = await eventually(first_item, timeout=20, interval=0.5)
    assert item.envelope.envelope_id not in {earlier.envelope.envelope_id for earlier in acknowledged}
    assert item.envelope.referral.case.native_id in CHAOYANG.read_text(encoding="utf-8")
    call.cancel()


async def test_an_item_shown_before_the_adapter_restarted_is_acknowledged_by_its_id_and_not_shown_again(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing = federation.stub("beijing")
    await beijing.SubmitDocument(submit_request(SANHE))
    (item,), call = await read_items(federation.stub("hebei"), count=1, flows=[REFERRAL])
    call.cancel()

    # The member handles the item while its adapter restarts: the new process never showed it.
    await federation.stop("hebei")
    await federation.start("hebei")
    hebei = federation.stub("hebei")
    assert (await hebei.AcknowledgeInboxItem(ACK(item_id=item.item_id))).result == adapter_pb2.ACK_RESULT_ACKNOWLEDGED
    assert (await hebei.AcknowledgeInboxItem(ACK(item_id=item.item_id))).result == adapter_pb2.ACK_RESULT_ALREADY_ACKNOWLEDGED

    await beijing.SubmitDocument(submit_request(CHAOYANG, destination=case_pb2.JURISDICTION_HEBEI))
    (shown,), call = await read_items(hebei, count=1, flows=[REFERRAL])
    assert shown.envelope.envelope_id != item.envelope.envelope_id  # the acknowledged one was settled, not shown
    await hebei.AcknowledgeInboxItem(ACK(item_id=shown.item_id))
    await eventually(lambda: settled_up_to(nats_server.url, stream_sequence(shown.item_id)), timeout=10)
    call.cancel()

    # The sender has the receipt of the item acknowledged across the restart.
    case_id = item.envelope.referral.case.case_id

    async def receipt_kept():
        record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=case_id))
        return [r.receipt.envelope_id for r in record.receipts] or None

    assert await eventually(receipt_kept, timeout=10) == [item.envelope.envelope_id]
