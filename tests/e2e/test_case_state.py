"""Case state end to end: adapters and gateway agree, and a member reads its own inbox."""

from __future__ import annotations

import asyncio

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as S
from jjj.gateway.v1 import gateway_pb2
from tests.conftest import SHARED
from tests.support.relay import eventually, read_items, submit_request, take

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
SANHE_ID = "jjj:BJ:BJ2026112400002001"


async def report(stub, status: int, **kwargs) -> None:
    await stub.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=status, **kwargs))


async def test_after_a_take_back_adapters_and_gateway_agree_the_origin_holds_the_case(federation):
    await federation.start("beijing", "hebei")
    await federation.start_gateway()
    beijing, hebei, gateway = federation.stub("beijing"), federation.stub("hebei"), federation.gateway_stub()
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1)
    await report(hebei, S.STATUS_RECEIVED)
    await report(hebei, S.STATUS_RETURNED, reason="非本辖区", return_reason=S.RETURN_REASON_WRONG_PLACE)
    await report(beijing, S.STATUS_REGISTERED, actor="北京12345", note="收回自办")

    async def gateway_says_registered():
        trail = await gateway.GetCaseTrail(gateway_pb2.GetCaseTrailRequest(case_id=SANHE_ID))
        return trail if trail.record.sequence == 3 else None

    trail = await eventually(gateway_says_registered)
    at_beijing = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))

    async def hebei_saw_it():
        record = await hebei.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
        return record if record.sequence == 3 else None

    at_hebei = await eventually(hebei_saw_it)
    assert trail.record.status == at_beijing.case.status == at_hebei.case.status == S.STATUS_REGISTERED
    assert trail.record.holder == at_beijing.holder == at_hebei.holder == S.JURISDICTION_BEIJING


def _stop_state_tracker(running) -> None:
    """Leave the inbox as the only reader of the adapter's bus messages, so the test shows what it does."""
    for task in running.relay._tasks:
        task.cancel()


async def test_a_status_update_in_the_inbox_is_already_in_the_members_own_get_case(federation):
    await federation.start("beijing", "hebei")
    _stop_state_tracker(federation.running["beijing"])
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1)
    for sequence, status in enumerate((S.STATUS_RECEIVED, S.STATUS_ACCEPTED, S.STATUS_IN_PROGRESS), start=1):
        await report(hebei, status, actor="三河市", note=f"step {sequence}")
    items, call = await read_items(beijing, count=3, flows=[envelope_pb2.FLOW_STATUS_UPDATE])
    try:
        for item in items:
            update = item.envelope.status_update
            # Asked at once, as a member does on reading the item: no waiting for a background tracker.
            record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
            assert record.sequence >= update.sequence
            assert any(event.note == f"step {update.sequence}" for event in record.case.history)
        assert [item.envelope.status_update.sequence for item in items] == [1, 2, 3]
        assert record.case.status == S.STATUS_IN_PROGRESS and record.sequence == 3
    finally:
        call.cancel()
        await asyncio.sleep(0)
