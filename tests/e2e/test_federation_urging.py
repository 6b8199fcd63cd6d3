"""The federation urges (催办) and supervises (督办) a case (`jjj urge`): signed as the federation, delivered
to the holder and the origin, one typed entry on the gateway's trail, counted by the measures once."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cli.urge import urge
from gateway.projection.store import SqliteProjection
from gateway.supervision import add_supervision
from kernel.errors import CaseNotFound, InvalidRequest
from jjj.bus.v1 import envelope_pb2 as e
from jjj.case.v1 import case_pb2 as c
from jjj.gateway.v1 import gateway_pb2
from tests.e2e.test_measures_and_reports import SANHE, SANHE_ID
from tests.support.personal_data import leaks
from tests.support.relay import eventually, submit_request, take

SHARE = e.FLOW_INFORMATION_SHARE


async def test_a_supervision_by_the_federation_reaches_both_sides_and_is_counted_once(federation, capsys):
    await federation.start("beijing", "hebei")
    await federation.start_gateway()
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1, flows=[e.FLOW_REFERRAL])
    # `jjj urge` reads the projection's file: the case must be committed there (the projector commits
    # what it applied in batches, FLUSH_SECONDS apart), not only applied on the gateway's connection.
    await eventually(lambda: _value(committed_case(federation.settings.data_dir / "gateway" / "projection.sqlite3")))

    args = argparse.Namespace(case_id=SANHE_ID, kind="supervision", reason="签收超时，请即办理", by="")
    assert await urge(federation.settings, args) == 0
    printed = capsys.readouterr().out
    assert printed.count(f"{SANHE_ID}/supervision/") == 2 and not leaks(printed)
    for stub in (beijing, hebei):
        (item,) = await take(stub, 1, flows=[SHARE])
        envelope = item.envelope
        assert envelope.sender == c.JURISDICTION_UNSPECIFIED and envelope.signature.key_id  # the federation's
        supervision = envelope.information_share.supervision
        assert (supervision.case_id, supervision.type, supervision.reason) == (
            SANHE_ID, c.EVENT_TYPE_SUPERVISION, "签收超时，请即办理")
        assert supervision.by == "京津冀12345协同联席办"

    gateway = federation.gateway_stub()

    async def on_the_trail():
        answer = await gateway.GetCaseTrail(gateway_pb2.GetCaseTrailRequest(case_id=SANHE_ID))
        typed = [t for t in answer.trail if t.event_type == c.EVENT_TYPE_SUPERVISION]
        return typed or None

    (entry,) = await eventually(on_the_trail)
    assert (entry.sender, entry.status, entry.note) == (c.JURISDICTION_UNSPECIFIED, c.STATUS_REFERRED, "签收超时，请即办理")
    answer = await gateway.GetMeasures(gateway_pb2.GetMeasuresRequest(
        grouping=gateway_pb2.MEASURE_GROUPING_JURISDICTION, measures=["urgings", "supervisions"]))
    (row,) = [r for r in answer.rows if r.jurisdiction == c.JURISDICTION_HEBEI]
    assert [(v.measure, v.value) for v in row.values] == [("urgings", 0), ("supervisions", 1)]


async def test_an_unknown_case_or_an_urging_without_a_reason_is_refused(federation):
    await federation.start("beijing")
    await federation.start_gateway()
    running = federation.gateway
    with pytest.raises(CaseNotFound):
        await add_supervision(running.notifier.js, running.store, running.notifier.signer, "jjj:BJ:NOPE", "urging", "快")
    with pytest.raises(InvalidRequest):
        await add_supervision(running.notifier.js, running.store, running.notifier.signer, SANHE_ID, "nudging", "快")


async def _value(value):
    return value


def committed_case(projection: Path):
    reader = SqliteProjection(projection)
    try:
        return reader.case_state(SANHE_ID)
    finally:
        reader.close()
