"""The gateway's projection survives restarts and is rebuilt by replaying the streams."""

from __future__ import annotations

import grpc

from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2
from jjj.gateway.v1 import gateway_pb2
from tests.conftest import SHARED
from tests.support.relay import eventually, submit_request, take

SANHE, SANHE_ID = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json", "jjj:BJ:BJ2026112400002001"


async def trail_of(federation, length: int) -> gateway_pb2.GetCaseTrailResponse:
    stub = federation.gateway_stub()

    async def probe():
        try:
            answer = await stub.GetCaseTrail(gateway_pb2.GetCaseTrailRequest(case_id=SANHE_ID))
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:  # not projected yet; anything else is a failure
                raise
            return None
        return answer if len(answer.trail) == length else None

    return await eventually(probe)


async def test_restart_resumes_and_a_deleted_projection_is_rebuilt_by_replay(federation, settings):
    await federation.start("beijing", "hebei")
    await federation.start_gateway()
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1)
    await hebei.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=case_pb2.STATUS_RECEIVED))
    before = await trail_of(federation, 2)

    await federation.gateway.stop(grace=0.1)
    await federation.start_gateway()  # same database: resumes at its cursor
    await hebei.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=case_pb2.STATUS_ACCEPTED))
    resumed = await trail_of(federation, 3)
    assert list(resumed.trail)[:2] == list(before.trail)

    await federation.gateway.stop(grace=0.1)
    (settings.data_dir / "gateway" / "projection.sqlite3").unlink()
    for leftover in (settings.data_dir / "gateway").glob("projection.sqlite3-*"):
        leftover.unlink()
    await federation.start_gateway()
    rebuilt = await trail_of(federation, 3)
    assert [(e.envelope_id, e.status, e.sequence) for e in rebuilt.trail] == [
        (e.envelope_id, e.status, e.sequence) for e in resumed.trail]
    assert rebuilt.record.status == case_pb2.STATUS_ACCEPTED
