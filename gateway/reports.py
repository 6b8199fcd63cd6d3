"""The reports (日报告、周分析、月通报) shared with every member: the measures of a period, as a signed share.

The measures are kernel.domain.measures'; this module only puts one report's
rows in an InformationShare (SHARE_TOPIC_STATISTICS, body JSON: counts and rates,
no case and no personal data) on jjj.share.<to>.fed for each member. The
envelope id is deterministic per report, period and member, so sharing the same
report again is dropped by JetStream's duplicate window.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import structlog
from nats.js import JetStreamContext

from kernel import jurisdictions
from kernel.bus import jetstream, subjects
from kernel.domain.deadlines import DeadlinePolicy
from kernel.domain.measures import BY_JURISDICTION, Measures, Row
from kernel.security.signing import Signer
from gateway.projection.store import ProjectionStore
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

log = structlog.get_logger(__name__)


def report_body(name: str, period_key: str, rows: list[Row], measures: Measures) -> str:
    report = measures.reports[name]
    return json.dumps({
        "report": name, "label": report.label, "period": period_key,
        "rows": [{
            "jurisdiction": jurisdictions.by_enum(row.jurisdiction).name,
            "values": [{"measure": v.measure, "label": measures.measures[v.measure].label, "step": v.step,
                        "numerator": v.numerator, "denominator": v.denominator, "value": v.value} for v in row.values],
        } for row in rows],
    }, ensure_ascii=False, sort_keys=True)


async def share_report(js: JetStreamContext, signer: Signer | None, store: ProjectionStore, policy: DeadlinePolicy,
                       name: str, period_key: str, *, now: datetime | None = None,
                       measures: Measures | None = None) -> list[str]:
    """Share report `name` of `period_key` (per jurisdiction) with every member; returns the envelope ids."""
    measures = measures or Measures.load()
    rows = measures.report(name, store.measure_facts(), policy, now=now or datetime.now(UTC), group=BY_JURISDICTION,
                           period_key=period_key)
    members = jurisdictions.members()
    share = envelope_pb2.InformationShare(
        topic=envelope_pb2.SHARE_TOPIC_STATISTICS, classification=envelope_pb2.CLASSIFICATION_INTERNAL,
        audience=[m.enum for m in members], title=f"{measures.reports[name].label} {period_key}",
        body=report_body(name, period_key, rows, measures))
    ids = []
    for member in members:
        envelope = envelope_pb2.Envelope(
            envelope_id=f"report/{name}/{period_key}/{member.token}", flow=envelope_pb2.FLOW_INFORMATION_SHARE,
            sender=case_pb2.JURISDICTION_UNSPECIFIED, destination=member.enum, information_share=share)
        envelope.sent_at.GetCurrentTime()
        await jetstream.publish_envelope(js, subjects.federation_subject(envelope.flow, member), envelope, signer=signer)
        ids.append(envelope.envelope_id)
    log.info("report_shared", report=name, period=period_key, rows=len(rows))
    return ids
