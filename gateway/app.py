"""The gateway process: the projection fed from the bus, the audit log, deadline notices, GatewayQueryService."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from nats.aio.client import Client

from gateway.audit.auditor import Auditor
from gateway.feed import BusFeed
from gateway.audit.store import AuditStore
from gateway.deadline_notices import DeadlineNotifier
from gateway.notice_ledger import NoticeLedger
from gateway.observe import GatewayObservability
from gateway.cohandling import CoHandlingWatch
from gateway.emergency import EmergencyWatch
from gateway.emergency_ledger import EmergencyLedger
from gateway.sightings import SightingFeed
from gateway.projection.projector import Projector
from gateway.projection.store import SqliteProjection
from gateway.supervision import SupervisionTrail
from gateway.query import SERVICE_NAME, GatewayQueryServicer
from kernel.bus import jetstream, quick_paths
from kernel.config import Settings
from kernel.domain.deadlines import DeadlinePolicy
from kernel.domain.watcher import DeadlineWatcher
from kernel.rpc.membership import MemberSystemGate
from kernel.rpc.server import ExpiryWatch, Served, serve
from kernel.security.pki import GATEWAY
from kernel.security.registry import RegistryView
from kernel.security.tls import client_context
from kernel.security.envelopes import VerificationCache
from kernel.security.keys import FEDERATION, RegistryFile, load_signer
from jjj.case.v1 import case_pb2
from jjj.gateway.v1 import gateway_pb2_grpc

log = structlog.get_logger(__name__)


@dataclass
class RunningGateway:
    served: Served
    projector: Projector
    store: SqliteProjection
    nc: Client
    notifier: DeadlineNotifier
    watcher_task: asyncio.Task
    auditor: Auditor
    console: object | None = None  # gateway.console.app.RunningConsole, when enabled
    emergency: EmergencyWatch | None = None
    co_handling: CoHandlingWatch | None = None
    emergency_task: asyncio.Task | None = None
    observability: GatewayObservability | None = None
    feed: BusFeed | None = None

    @property
    def port(self) -> int:
        return self.served.port

    async def stop(self, grace: float = 2.0) -> None:
        if self.console is not None:
            await self.console.stop()
        tasks = [t for t in (self.watcher_task, self.emergency_task) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.served.stop(grace)
        if self.feed is not None:
            await self.feed.stop()
        await self.projector.stop()
        await self.auditor.stop()
        if self.observability is not None:
            await self.observability.stop()
        await self.nc.drain()
        self.store.close()
        self.auditor.store.close()


def rebuild_clocks(store: SqliteProjection, notifier: DeadlineNotifier, sent: NoticeLedger | None = None) -> None:
    """Deadline clocks live in memory: after a restart, replay every open case's stored trail, then
    mark the notices sent before, so that none is sent twice."""
    for state in store.case_states():
        if state.status == case_pb2.STATUS_CLOSED:
            continue
        notifier.remember_case(state)
        extensions = store.extensions(state.case_id)
        for entry in store.trail(state.case_id):
            notifier.replay_step(state.case_id, entry.status, entry.at, event_type=entry.event_type,
                                 extension=extensions.get(entry.sequence))
    for case_id, step, kind, due_at in sent.all_sent() if sent is not None else ():
        notifier.watcher.mark_notified(case_id, step, kind, due_at)

async def start_gateway(settings: Settings, *, port: int | None = None,
                        clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> RunningGateway:
    """Start serving; port 0 picks a free one, `clock` drives the deadline watcher (tests)."""
    tls = settings.tls_files(GATEWAY).check()
    signer = load_signer(settings.signing_key_path(FEDERATION), FEDERATION)
    # The projector and the auditor read every message: each is verified once.
    verifier = VerificationCache(RegistryFile(settings.key_registry_path()))
    bus_watch = jetstream.ConnectionWatch()
    nc = await jetstream.connect(settings.nats_url, name="jjj-gateway", tls=client_context(tls), principal=GATEWAY,
                                 watch=bus_watch)
    js = nc.jetstream()
    quick_paths.settle_refused_publishes(js)  # before its first publish_async (kernel.bus.quick_paths)
    store = SqliteProjection(settings.data_dir / "gateway" / "projection.sqlite3")
    policy = DeadlinePolicy.load()
    notices = NoticeLedger(store.db)
    notifier = DeadlineNotifier(DeadlineWatcher(policy, clock), js, clock, signer, delivered_at=store.delivered_at,
                                on_sent=notices.sent)
    rebuild_clocks(store, notifier, notices)
    observability = GatewayObservability(settings, notifier.watcher, clock)
    observability.start()
    emergency = EmergencyWatch(js, clock, signer, ledger=EmergencyLedger(store.db))
    emergency.sighted = SightingFeed(verifier, 2 * emergency.rules.clusters.window)
    co_handling = CoHandlingWatch(store.db)
    # Stored with the cursors: a restart forgets no broadcast, acknowledgement, escalation, part or federation urging.
    store.recorders.extend([emergency.observe, co_handling.observe, SupervisionTrail(store.db).record])
    projector = Projector(store, verifier, observers=[notifier.observe])
    auditor = Auditor(js, AuditStore(settings.audit_path()), verifier, signer, anchor_every=settings.audit.anchor_every,
                      anchor_seconds=settings.audit.anchor_seconds)
    feed = BusFeed(js)  # one consumer per stream for all three: each message reaches this process once
    auditor.read_from(feed)
    projector.read_from(feed)
    await emergency.sighted.read_from(feed, nc)
    await feed.start()
    watcher_task = asyncio.create_task(notifier.run(settings.deadline_poll_seconds), name="deadline-watcher")
    emergency_task = asyncio.create_task(emergency.run(settings.deadline_poll_seconds), name="emergency-watch")
    servicer = GatewayQueryServicer(store, policy)
    served = await serve(
        SERVICE_NAME, lambda server: gateway_pb2_grpc.add_GatewayQueryServiceServicer_to_server(servicer, server),
        f"{settings.host}:{settings.gateway_port if port is None else port}",
        tls=tls, interceptors=[MemberSystemGate(RegistryView(settings.registry_file()), None)],
        watch=ExpiryWatch(settings.tls.expiry_warning_days, settings.tls.expiry_check_seconds),
    )
    await bus_watch.follow(served.report_serving)  # the projection falls behind while the bus is away
    log.info("gateway_listening", address=f"{settings.host}:{served.port}")
    running = RunningGateway(served, projector, store, nc, notifier, watcher_task, auditor, emergency=emergency,
                             emergency_task=emergency_task, co_handling=co_handling, observability=observability,
                             feed=feed)
    running.console = await _start_console(settings, served.port, notifier.watcher)
    return running


async def _start_console(settings: Settings, gateway_port: int, watcher: DeadlineWatcher):
    """The operators' console beside the query service; the gateway serves on without it if it cannot start."""
    if not settings.console.enabled:
        return None
    from gateway.console.app import start_console

    try:
        return await start_console(settings, projection_path=settings.data_dir / "gateway" / "projection.sqlite3",
                                   gateway_port=gateway_port, watcher=watcher)
    except Exception as error:  # e.g. its port taken: the exchange itself must not stop for the console
        log.error("console_not_started", error=str(error))
        return None
