"""One adapter process: connect to the bus, serve AdapterService with health and reflection."""

from __future__ import annotations

from dataclasses import dataclass

import nats.errors
import structlog
from nats.aio.client import Client

from adapters.registry import codec_for
from adapters.service.acknowledged import AcknowledgedLog
from adapters.service.acknowledged import log_path as acknowledged_path
from adapters.service.cohandling_log import CoHandlingLog
from adapters.service.cohandling_log import log_path as cohandling_path
from adapters.service.guard import Guard
from adapters.service.inbox import Inboxes
from adapters.service.ingest import Ingests
from adapters.service.ingest_sender import IngestSender
from adapters.service.outbox import MirroredCaseStore, Outbox, outbox_path
from adapters.service.observe import AdapterObservability
from adapters.service.quarantine import Quarantine
from adapters.service.relay import AdapterRelay
from adapters.service.repeat_store import DiskRepeats
from adapters.service.repeat_store import store_path as repeat_store_path
from adapters.service.sharing import Sharing
from adapters.service.servicer import AdapterServicer
from adapters.service.store import CaseStore
from kernel import jurisdictions
from kernel.bus import jetstream, quick_paths
from kernel.config import Settings
from kernel.domain.repeats import RepeatIndex
from kernel.rpc.membership import MemberSystemGate
from kernel.rpc.server import ExpiryWatch, Served, serve
from kernel.security.pki import adapter_principal
from kernel.security.registry import RegistryView
from kernel.security.tls import client_context
from kernel.security.keys import RegistryFile, load_signer
from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc

log = structlog.get_logger(__name__)
SERVICE_NAME = adapter_pb2.DESCRIPTOR.services_by_name["AdapterService"].full_name


@dataclass
class RunningAdapter:
    served: Served
    relay: AdapterRelay
    inboxes: Inboxes
    nc: Client
    observability: AdapterObservability | None = None
    repeats: DiskRepeats | None = None
    ingest_sender: IngestSender | None = None

    @property
    def port(self) -> int:
        return self.served.port

    async def stop(self, grace: float = 2.0) -> None:
        await self.served.stop(grace)
        await self.inboxes.shut()
        if self.ingest_sender is not None:
            await self.ingest_sender.stop()
        await self.relay.close()
        if self.observability is not None:
            await self.observability.stop()
        try:
            await self.nc.drain()
        except nats.errors.ConnectionReconnectingError:  # stopping while the bus is away: nothing to drain
            await self.nc.close()
        self.relay.outbox.close()
        if self.relay.co_handling is not None:
            self.relay.co_handling.close()
        if self.repeats is not None:
            self.repeats.close()


async def start_adapter(name: str, settings: Settings, *, port: int | None = None) -> RunningAdapter:
    """Start serving; port 0 picks a free one (tests)."""
    member = jurisdictions.by_name(name)
    principal = adapter_principal(member.name)
    tls = settings.tls_files(principal).check()
    signer = load_signer(settings.signing_key_path(member.name), member.name)
    keys = RegistryFile(settings.key_registry_path())
    bus_watch = jetstream.ConnectionWatch()
    nc = await jetstream.connect(settings.nats_url, name=f"jjj-adapter-{member.name}", tls=client_context(tls),
                                 principal=principal, watch=bus_watch)
    js = nc.jetstream()
    quick_paths.settle_refused_publishes(js)  # before its first publish_async (kernel.bus.quick_paths)
    guard = Guard(member, js, keys, settings.security)
    outbox = Outbox.open(outbox_path(settings.data_dir, member))
    repeats = DiskRepeats(repeat_store_path(settings.data_dir, member.name))  # rebuilt from the stream below
    relay = AdapterRelay(
        member=member,
        codec=codec_for(member.name),
        nc=nc,
        js=js,
        cases=MirroredCaseStore(CaseStore.open(js, member, nc), outbox),
        outbox=outbox,
        quarantine=Quarantine(settings.resolved_quarantine_dir(), member.name),
        sharing=Sharing(member, js, settings.share_secret.get_secret_value().encode(), signer, guard,
                        index=RepeatIndex(store=repeats), statuses=repeats),
        signer=signer,
        guard=guard,
        tracker=settings.tracker,
        limits=settings.limits,
        outbox_settings=settings.outbox,
        watch=bus_watch,
        co_handling=CoHandlingLog(cohandling_path(settings.data_dir, member.name)),
    )
    relay.sharing.observers.append(relay.co_handling.record)  # before start: the replay feeds it too
    relay.sharing.status_of = relay.current_status  # a repeat link carries the earlier case's status now
    await relay.sharing.start()
    await relay.start_outbox()
    relay.start_state_tracker()
    acknowledged = AcknowledgedLog(acknowledged_path(settings.data_dir, member.name),
                                   retention_seconds=settings.inbox.acknowledged_retention_days * 86400)
    inboxes = Inboxes(relay, settings.ack_wait_seconds, settings.inbox, acknowledged=acknowledged)
    inboxes.start()
    observability = AdapterObservability(member, settings)
    observability.start(js)
    ingests = Ingests(relay, settings.ingest)
    ingest_sender = IngestSender(relay, settings.ingest, reading=lambda: ingests.reading > 0)
    ingest_sender.start()
    servicer = AdapterServicer(relay, inboxes, ingests, submissions_at_once=settings.outbox.submissions_at_once,
                               submissions_waiting_at_most=settings.outbox.submissions_waiting_at_most)
    served = await serve(
        SERVICE_NAME, lambda server: adapter_pb2_grpc.add_AdapterServiceServicer_to_server(servicer, server),
        f"{settings.host}:{settings.adapter_port(member.name) if port is None else port}",
        tls=tls, interceptors=[MemberSystemGate(RegistryView(settings.registry_file()), member.name)],
        watch=ExpiryWatch(settings.tls.expiry_warning_days, settings.tls.expiry_check_seconds),
        max_message_bytes=settings.limits.grpc_max_message_bytes,
    )
    await bus_watch.follow(served.report_serving)  # no case is served without the bus: NOT_SERVING while it is away
    log.info("adapter_listening", jurisdiction=member.name, address=f"{settings.host}:{served.port}")
    return RunningAdapter(served, relay, inboxes, nc, observability, repeats, ingest_sender)
