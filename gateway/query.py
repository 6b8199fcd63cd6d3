"""The gateway process: the projection fed from the bus, served as GatewayQueryService."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import structlog
from google.protobuf import timestamp_pb2
from nats.aio.client import Client

from gateway.bus import jetstream
from gateway.config import Settings
from gateway.deadline_notices import DeadlineNotifier
from gateway.grpcserver import Served, serve
from gateway.domain.deadlines import DeadlinePolicy
from gateway.domain.watcher import DeadlineWatcher
from gateway.statistics import pair_statistics
from gateway.projection.projector import Projector
from gateway.projection.store import CaseFilter, CaseRow, ProjectionStore, SqliteProjection
from jjj.case.v1 import case_pb2
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

    async def GetCaseTrail(self, request, context):
        row = self.store.case(request.case_id)
        if row is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no cross-region case {request.case_id!r}")
        trail = [
            gateway_pb2.TrailEntry(at=_stamp(t.at), flow=t.flow, sender=t.sender, destination=t.destination,
                                   status=t.status, actor=t.actor, note=t.note, sequence=t.sequence, envelope_id=t.envelope_id)
            for t in self.store.trail(request.case_id)
        ]
        return gateway_pb2.GetCaseTrailResponse(record=to_record(row), trail=trail)

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

    async def GetRelayStatistics(self, request, context):
        rows = pair_statistics(self.store.case_facts(), self.store.message_statistics(request.day), self.policy, request.day)
        return gateway_pb2.GetRelayStatisticsResponse(pairs=[gateway_pb2.PairStatistics(**row) for row in rows])


@dataclass
class RunningGateway:
    served: Served
    projector: Projector
    store: SqliteProjection
    nc: Client
    notifier: DeadlineNotifier
    watcher_task: asyncio.Task

    @property
    def port(self) -> int:
        return self.served.port

    async def stop(self, grace: float = 2.0) -> None:
        self.watcher_task.cancel()
        await asyncio.gather(self.watcher_task, return_exceptions=True)
        await self.served.stop(grace)
        await self.projector.stop()
        await self.nc.drain()
        self.store.close()


def rebuild_clocks(store: SqliteProjection, notifier: DeadlineNotifier) -> None:
    """Deadline clocks live in memory: after a restart, replay every open case's stored trail."""
    for fact in store.case_facts():
        if fact["status"] == case_pb2.STATUS_CLOSED:
            continue
        notifier.remember_case(fact["case_id"], origin=fact["origin"], holder=fact["holder"], kind=fact["kind"],
                               urgency=fact["urgency"])
        for entry in store.trail(fact["case_id"]):
            notifier.replay_step(fact["case_id"], entry.status, entry.at)


async def start_gateway(settings: Settings, *, port: int | None = None,
                        clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> RunningGateway:
    """Start serving; port 0 picks a free one, `clock` drives the deadline watcher (tests)."""
    nc = await jetstream.connect(settings.nats_url, name="jjj-gateway")
    js = nc.jetstream()
    await jetstream.ensure_streams(js, duplicate_window=settings.duplicate_window_seconds)
    store = SqliteProjection(settings.data_dir / "gateway" / "projection.sqlite3")
    policy = DeadlinePolicy.load()
    notifier = DeadlineNotifier(DeadlineWatcher(policy, clock), js, clock)
    rebuild_clocks(store, notifier)
    projector = Projector(js, store, observers=[notifier.observe])
    await projector.start()
    watcher_task = asyncio.create_task(notifier.run(settings.deadline_poll_seconds), name="deadline-watcher")
    servicer = GatewayQueryServicer(store, policy)
    served = await serve(
        SERVICE_NAME, lambda server: gateway_pb2_grpc.add_GatewayQueryServiceServicer_to_server(servicer, server),
        f"{settings.host}:{settings.gateway_port if port is None else port}",
    )
    log.info("gateway_listening", address=f"{settings.host}:{served.port}")
    return RunningGateway(served, projector, store, nc, notifier, watcher_task)
