"""The gateway's co-handling view is stored: after a restart the parts reached, the refusals and the parts
already seen are still known (the lead's copy of a part seen before the restart is a copy, not out of order)."""

from __future__ import annotations

import sqlite3

from gateway.cohandling import CoHandlingWatch
from jjj.bus.v1 import envelope_pb2 as e
from jjj.case.v1 import case_pb2 as c

CASE_ID = "jjj:BJ:BJ2026112400002001"
BJ, TJ, HE = c.JURISDICTION_BEIJING, c.JURISDICTION_TIANJIN, c.JURISDICTION_HEBEI


def request() -> e.Envelope:
    share = e.InformationShare(topic=e.SHARE_TOPIC_CO_HANDLING_REQUEST,
                               co_handled_case=c.Case(case_id=CASE_ID, origin=BJ, co_handlers=[TJ]))
    return e.Envelope(envelope_id="co-1", flow=e.FLOW_INFORMATION_SHARE, sender=BJ, destination=TJ,
                      information_share=share)


def part(status: int, to: int, second: int) -> e.Envelope:
    reported = e.CoHandlingPart(case_id=CASE_ID, lead=HE, co_handler=TJ, status=status)
    reported.at.seconds = second
    share = e.InformationShare(topic=e.SHARE_TOPIC_CO_HANDLING_PART, co_handling_part=reported)
    return e.Envelope(envelope_id=f"part/{status}/{to}", flow=e.FLOW_INFORMATION_SHARE, sender=TJ, destination=to,
                      information_share=share)


def test_parts_and_refusals_survive_a_restart():
    db = sqlite3.connect(":memory:", isolation_level=None)
    watch = CoHandlingWatch(db)
    watch.observe(request())
    watch.observe(part(c.STATUS_RECEIVED, BJ, 100))

    restarted = CoHandlingWatch(db)
    assert dict(restarted.parts[CASE_ID].reached) == {TJ: c.STATUS_RECEIVED}
    restarted.observe(part(c.STATUS_RECEIVED, HE, 100))  # the lead's copy of the same part
    assert restarted.refused == []
    restarted.observe(part(c.STATUS_REPLIED, BJ, 200))  # skips handling: kept aside
    restarted.observe(part(c.STATUS_IN_PROGRESS, BJ, 300))
    assert dict(restarted.parts[CASE_ID].reached) == {TJ: c.STATUS_IN_PROGRESS}

    again = CoHandlingWatch(db)
    assert dict(again.parts[CASE_ID].reached) == {TJ: c.STATUS_IN_PROGRESS}
    assert [(case_id, status) for case_id, _, status, _ in again.refused] == [(CASE_ID, c.STATUS_REPLIED)]
    assert again.co_handlers == {CASE_ID: {TJ}}
