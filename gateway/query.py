"""GatewayQueryService: answers from the projection (case trails, listings, relay statistics).

Every error answers through kernel/rpc/status.py, as the adapters' do.
"""

from __future__ import annotations

from datetime import UTC

import structlog
from google.protobuf import timestamp_pb2

from kernel.domain.deadlines import DeadlinePolicy
from kernel.errors import CaseNotFound
from kernel.rpc.translate import translate_errors
from gateway.statistics import measure_rows, pair_statistics
from gateway.projection.store import CaseFilter, CaseRow, ProjectionStore
from jjj.gateway.v1 import gateway_pb2, gateway_pb2_grpc

log = structlog.get_logger(__name__)
SERVICE_NAME = gateway_pb2.DESCRIPTOR.services_by_name["GatewayQueryService"].full_name
MAX_PAGE = 500


def _stamp(value) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def to_record(row: CaseRow) -> gateway_pb2.CaseRecord:
    return gateway_pb2.CaseRecord(
        case_id=row.case_id, origin=row.origin, holder=row.holder, native_id=row.native_id, status=row.status,
        flow=row.flow, referred_at=_stamp(row.referred_at), updated_at=_stamp(row.updated_at),
        due_at=_stamp(row.due_at), sequence=row.sequence,
    )


class GatewayQueryServicer(gateway_pb2_grpc.GatewayQueryServiceServicer):
    def __init__(self, store: ProjectionStore, policy: DeadlinePolicy) -> None:
        self.store = store
        self.policy = policy
        self.log_context = {"service": "gateway"}

    @translate_errors
    async def GetCaseTrail(self, request, context):
        row = self.store.case(request.case_id)
        if row is None:
            raise CaseNotFound(f"no cross-region case {request.case_id!r}", metadata={"caseId": request.case_id})
        trail = [
            gateway_pb2.TrailEntry(at=_stamp(t.at), flow=t.flow, sender=t.sender, destination=t.destination,
                                   status=t.status, actor=t.actor, note=t.note, sequence=t.sequence, envelope_id=t.envelope_id,
                                   event_type=t.event_type)
            for t in self.store.trail(request.case_id)
        ]
        return gateway_pb2.GetCaseTrailResponse(record=to_record(row), trail=trail)

    @translate_errors
    async def ListCases(self, request, context):
        limit = min(request.page_size or 100, MAX_PAGE)
        rows = self.store.cases(CaseFilter(
            native_id=request.native_id, origin=request.origin, holder=request.holder,
            due_before=request.due_before.ToDatetime(tzinfo=UTC) if request.HasField("due_before") else None,
            day=request.day, after_case_id=request.page_token, limit=limit + 1,
        ))
        page, more = rows[:limit], len(rows) > limit
        return gateway_pb2.ListCasesResponse(
            records=[to_record(r) for r in page], next_page_token=page[-1].case_id if more else "")

    @translate_errors
    async def GetMeasures(self, request, context):
        rows = measure_rows(self.store.measure_facts(), self.policy, request)
        return gateway_pb2.GetMeasuresResponse(rows=rows)

    @translate_errors
    async def GetRelayStatistics(self, request, context):
        rows = pair_statistics(self.store.case_facts(), self.store.message_statistics(request.day), self.policy, request.day)
        return gateway_pb2.GetRelayStatisticsResponse(pairs=[gateway_pb2.PairStatistics(**row) for row in rows])
