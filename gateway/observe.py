"""What the gateway tells Prometheus and the trace files (kernel.observability).

- `jjj_deadlines{state, holder}`: the running deadline clocks, each in one state: `running`
  (on time), `due_soon` (its reminder time passed), `overdue`; refreshed every few seconds.
- Each projected step of a trail (a referral, a transfer, a status update, a share) continues its
  trace (a `gateway.project` span, parent from the NATS headers), and its trace id is kept per trail
  entry (`trail_traces` in the projection) for the console's case view, which links to
  /traces/<trace_id>. A receipt is no trail entry: neither (it was a tenth of the gateway's time
  per referral, a span and a row nothing reads; the receiver's acknowledgement span is in the trace).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import structlog

from kernel import jurisdictions
from kernel.bus import subjects
from kernel.config import Settings
from kernel.domain.watcher import DeadlineWatcher
from kernel.observability import metrics, tracing
from jjj.bus.v1 import envelope_pb2
from kernel.waiting import pause

log = structlog.get_logger(__name__)
PROCESS = "gateway"
DEADLINE_SAMPLE_SECONDS = 5.0
TRACE_TABLE = """CREATE TABLE IF NOT EXISTS trail_traces (envelope_id TEXT PRIMARY KEY, trace_id TEXT NOT NULL)"""


def deadline_states(watcher: DeadlineWatcher, now: datetime) -> Counter[tuple[str, str]]:
    """(state, holder) -> clocks; a paused clock counts as running."""
    return watcher.states(now)


def sample_deadlines(watcher: DeadlineWatcher, now: datetime) -> Counter[tuple[str, str]]:
    counts = deadline_states(watcher, now)
    metrics.DEADLINES.clear()
    for state in ("running", "due_soon", "overdue"):
        metrics.DEADLINES.labels(state, "all").set(sum(n for (s, _), n in counts.items() if s == state))
    for (state, holder), count in counts.items():
        metrics.DEADLINES.labels(state, holder).set(count)
    return counts


def ensure_trace_table(db: sqlite3.Connection) -> None:
    db.execute(TRACE_TABLE)


def projected(db: sqlite3.Connection | None, envelope: envelope_pb2.Envelope, headers: Mapping[str, str] | None) -> str:
    """Continue the message's trace at the gateway and keep its trace id with the trail entry ("" for a receipt)."""
    if envelope.HasField("receipt"):
        return ""
    parent = tracing.context_from_headers(headers)
    trace_id = tracing.trace_id_of(parent)
    if not trace_id:
        return ""
    attributes = {"jjj.flow": subjects.route_of(envelope.flow).token, "jjj.envelope_id": envelope.envelope_id,
                  "jjj.sender": jurisdictions.display_name(envelope.sender) if envelope.sender else "federation",
                  "jjj.receiver": jurisdictions.display_name(envelope.destination) if envelope.destination else "federation"}
    tracing.instant_span(PROCESS, "gateway.project", parent, attributes)
    if db is not None:
        try:
            db.execute("INSERT OR IGNORE INTO trail_traces(envelope_id, trace_id) VALUES(?, ?)", (envelope.envelope_id, trace_id))
        except sqlite3.OperationalError:  # a projection without the table (a test's store): nothing to keep
            log.warning("trace_id_not_kept", envelope_id=envelope.envelope_id)
    return trace_id


class GatewayObservability:
    def __init__(self, settings: Settings, watcher: DeadlineWatcher, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.settings = settings.observability
        self.data_dir = settings.data_dir
        self.watcher = watcher
        self.clock = clock
        self.task: asyncio.Task | None = None
        self.port: int | None = None

    def start(self) -> None:
        if self.settings.traces_enabled:
            tracing.configure(PROCESS, self.data_dir, max_bytes=self.settings.traces_max_bytes)
        self.port = metrics.serve(self.settings.metrics_port)
        self.task = asyncio.create_task(self._sample_forever(), name="deadline-metrics")

    async def _sample_forever(self) -> None:
        while True:
            try:
                sample_deadlines(self.watcher, self.clock())
            except Exception:
                log.warning("deadline_metrics_failed")
            await pause(DEADLINE_SAMPLE_SECONDS)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({self.task}, timeout=3.0)  # never unbounded: a stop must not hang
        tracing.flush(PROCESS)
