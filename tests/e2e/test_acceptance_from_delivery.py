"""The petition acceptance clock (15 days, 信访工作条例) counts from the referral's delivery: the gateway reads
the receiver's signed receipt (JJJ_RECEIPTS) and starts the clock at its time; until then it runs from the
sending. A restarted gateway rebuilds the clock from the stored receipt."""

from __future__ import annotations

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2 as e
from jjj.case.v1 import case_pb2 as c
from tests.e2e.test_extension_relay import PETITION, PETITION_ID
from tests.support.relay import eventually, submit_request, take

STEP = "petition_accept_decision"


async def test_the_acceptance_clock_starts_when_the_holder_acknowledges_the_referral(federation):
    await federation.start("beijing", "hebei")
    await federation.start_gateway()
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(PETITION, destination=c.JURISDICTION_HEBEI))
    watcher = federation.gateway.notifier.watcher

    async def clock_running():
        return watcher.deadline(PETITION_ID, STEP)

    sent = await eventually(clock_running)  # not delivered yet: from the sending
    (item,) = await take(hebei, 1, flows=[e.FLOW_REFERRAL])
    assert sent.start == item.envelope.sent_at.ToDatetime(tzinfo=sent.start.tzinfo)

    async def receipt_at_beijing():
        record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=PETITION_ID))
        return list(record.receipts) or None

    (receipt,) = await eventually(receipt_at_beijing)
    delivered = receipt.receipt.acknowledged_at.ToDatetime(tzinfo=sent.start.tzinfo)
    assert delivered > sent.start

    async def moved_to_delivery():
        deadline = watcher.deadline(PETITION_ID, STEP)
        return deadline if deadline.start == delivered else None

    moved = await eventually(moved_to_delivery)
    assert moved.due_at == watcher.policy.deadline(STEP, delivered, "hebei").due_at
    assert watcher.deadline(PETITION_ID, "petition_forward") is None  # the origin's own clocks do not move

    await federation.gateway.stop(grace=0.1)
    await federation.start_gateway()
    rebuilt = federation.gateway.notifier.watcher.deadline(PETITION_ID, STEP)  # from the stored trail and receipt
    assert rebuilt is not None and rebuilt.start == delivered
