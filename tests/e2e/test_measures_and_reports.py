"""GetMeasures over real gRPC, and a report shared with every member over the bus."""

from __future__ import annotations

import json

from gateway.reports import share_report
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c
from jjj.gateway.v1 import gateway_pb2
from tests.conftest import SHARED
from tests.support.relay import eventually, submit_request, take

SANHE, SANHE_ID = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json", "jjj:BJ:BJ2026112400002001"


async def test_measures_by_query_and_the_daily_report_as_a_share(federation):
    await federation.start("beijing", "hebei")
    await federation.start_gateway()
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1, flows=[envelope_pb2.FLOW_REFERRAL])
    await hebei.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=c.STATUS_RECEIVED))
    gateway = federation.gateway_stub()

    async def signed_and_counted():
        answer = await gateway.GetMeasures(gateway_pb2.GetMeasuresRequest(
            grouping=gateway_pb2.MEASURE_GROUPING_JURISDICTION, measures=["in_flight", "waiting_to_sign"]))
        rows = [r for r in answer.rows if r.jurisdiction == c.JURISDICTION_HEBEI]
        if not rows or rows[0].values[1].value != 0:
            return None  # not projected yet, or the signature not yet seen
        return rows[0]

    row = await eventually(signed_and_counted)
    assert [(v.measure, v.value) for v in row.values] == [("in_flight", 1), ("waiting_to_sign", 0)]

    running = federation.gateway
    ids = await share_report(running.notifier.js, running.notifier.signer, running.store, running.notifier.watcher.policy,
                             "daily", row.period)
    assert len(ids) == 3
    for stub in (beijing, hebei):
        (item,) = await take(stub, 1, flows=[envelope_pb2.FLOW_INFORMATION_SHARE])
        share = item.envelope.information_share
        assert share.topic == envelope_pb2.SHARE_TOPIC_STATISTICS and item.envelope.sender == c.JURISDICTION_UNSPECIFIED
        body = json.loads(share.body)
        assert (body["report"], body["period"], body["rows"][0]["jurisdiction"]) == ("daily", row.period, "hebei")
        assert {v["measure"]: v["value"] for v in body["rows"][0]["values"]}["in_flight"] == 1
