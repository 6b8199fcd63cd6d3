"""What the gateway writes to the trace files and the projection for each projected message."""

from __future__ import annotations

import json
import sqlite3

from gateway.observe import PROCESS, TRACE_TABLE, projected
from kernel.observability import tracing
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_a_step_continues_its_trace_and_keeps_its_id_and_a_receipt_does_neither(tmp_path):
    db = sqlite3.connect(":memory:")
    db.execute(TRACE_TABLE)
    referral = envelope_pb2.Envelope(envelope_id="jjj:BJ:1/referral/1", flow=envelope_pb2.FLOW_REFERRAL,
                                     sender=case_pb2.JURISDICTION_BEIJING, destination=case_pb2.JURISDICTION_HEBEI)
    receipt = envelope_pb2.Envelope(envelope_id="receipt/jjj:BJ:1/referral/1", flow=envelope_pb2.FLOW_RECEIPT,
                                    sender=case_pb2.JURISDICTION_HEBEI, destination=case_pb2.JURISDICTION_BEIJING,
                                    receipt=envelope_pb2.Receipt(envelope_id="jjj:BJ:1/referral/1", case_id="jjj:BJ:1"))
    tracing.configure(PROCESS, tmp_path, schedule_delay_millis=50)
    try:
        assert projected(db, referral, {"traceparent": TRACEPARENT}) == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert projected(db, receipt, {"traceparent": TRACEPARENT}) == ""
        tracing.flush(PROCESS)
        spans = [json.loads(line) for line in (tmp_path / "traces" / f"{PROCESS}.jsonl").read_text().splitlines()]
    finally:
        tracing.shutdown(PROCESS)
    assert [(s["name"], s["attributes"]["jjj.envelope_id"]) for s in spans] == [("gateway.project", referral.envelope_id)]
    assert db.execute("SELECT envelope_id FROM trail_traces").fetchall() == [(referral.envelope_id,)]
