"""AcknowledgeInboxItems: many ids in one call, each as AcknowledgeInboxItem would answer it; recorded
by the adapter before the bus takes the acks, receipts sent, and the one-at-a-time call still works.

Real nats-server, real adapters over mutual TLS."""

from __future__ import annotations

import grpc
import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from kernel.jurisdictions import by_name
from tests.conftest import SHARED
from tests.support.bus import inbox_consumer
from tests.support.relay import eventually, read_items, submit_request
from tests.support.status import from_call

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
CHAOYANG = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_complaint_chaoyang.json"
REFERRAL = envelope_pb2.FLOW_REFERRAL
HEBEI = by_name("hebei").token
ACK_MANY = adapter_pb2.AcknowledgeInboxItemsRequest
Outcome = adapter_pb2.AcknowledgeInboxItemOutcome


async def test_many_items_are_acknowledged_in_one_call_and_each_says_what_it_did(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await beijing.SubmitDocument(submit_request(CHAOYANG, destination=case_pb2.JURISDICTION_HEBEI))
    (first, second), call = await read_items(hebei, count=2, flows=[REFERRAL])

    answer = await hebei.AcknowledgeInboxItems(ACK_MANY(item_ids=[first.item_id, "no-such-item", second.item_id]))
    assert list(answer.outcomes) == [
        Outcome(item_id=first.item_id, result=adapter_pb2.ACK_RESULT_ACKNOWLEDGED),
        Outcome(item_id="no-such-item", unknown=True),
        Outcome(item_id=second.item_id, result=adapter_pb2.ACK_RESULT_ACKNOWLEDGED),
    ]
    # The bus took both acks; the adapter remembers both (a redelivery would be settled, never shown).
    async def settled() -> bool:
        consumer = await inbox_consumer(nats_server.url, HEBEI, REFERRAL)
        return consumer.num_ack_pending == 0 and consumer.num_pending == 0
    await eventually(settled, timeout=10)
    acknowledged = federation.running["hebei"].inboxes.acknowledged
    for item in (first, second):
        assert await acknowledged.contains(item.envelope.envelope_id)

    # Again: already acknowledged, from the batch call and the single one alike.
    again = await hebei.AcknowledgeInboxItems(ACK_MANY(item_ids=[second.item_id]))
    assert again.outcomes[0].result == adapter_pb2.ACK_RESULT_ALREADY_ACKNOWLEDGED
    single = await hebei.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=first.item_id))
    assert single.result == adapter_pb2.ACK_RESULT_ALREADY_ACKNOWLEDGED

    # The sender has the receipts.
    async def receipted():
        record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=first.envelope.referral.case.case_id))
        return record if record.receipts else None
    assert (await eventually(receipted)).receipts[0].flow == envelope_pb2.FLOW_RECEIPT
    call.cancel()


@pytest.mark.parametrize("item_ids", [[], ["x", ""], [f"x{n}" for n in range(1001)]])
async def test_an_empty_list_an_empty_id_or_too_many_ids_is_invalid_and_nothing_is_acknowledged(federation, item_ids):
    await federation.start("hebei")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await federation.stub("hebei").AcknowledgeInboxItems(ACK_MANY(item_ids=item_ids))
    status = from_call(raised.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in status.violations] == ["item_ids"]
