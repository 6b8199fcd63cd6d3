"""Every metric of the federation, defined once; a process serves them on its loopback metrics port.

Labels are bounded sets only: flow tokens, jurisdiction names, reasons from closed
enumerations and states. A case id, a native id or any text a member wrote must never
become a label (each distinct value is a time series kept forever by the scraper).
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, start_http_server

log = structlog.get_logger(__name__)

# Sent -> the member's acknowledgement at the receiver: from sub-second to a member reading once a day.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400)
# Where a relayed message was counted: sent by the sender's adapter, shown to the receiving member, acknowledged by it.
STAGES = ("published", "delivered", "acknowledged")

RELAYED = Counter("jjj_relayed_messages_total", "Messages relayed, by flow, pair and stage (published, delivered, acknowledged)",
                  ["flow", "sender", "receiver", "stage"])
LATENCY = Histogram("jjj_relay_latency_seconds", "From the envelope's sent time to the member's acknowledgement at the receiver",
                    ["flow", "sender", "receiver"], buckets=LATENCY_BUCKETS)
INBOX_PENDING = Gauge("jjj_inbox_pending_messages", "Messages waiting on a member's inbox consumers (pending + unacknowledged)",
                      ["receiver"])
INBOX_OLDEST = Gauge("jjj_inbox_oldest_pending_age_seconds", "Age of the oldest unacknowledged message of a member's inbox",
                     ["receiver"])
SUBMISSIONS_WAITING = Gauge("jjj_submissions_waiting", "SubmitDocument calls waiting for a turn (OutboxSettings.submissions_at_once)",
                            ["jurisdiction"])
DEAD_LETTERS = Counter("jjj_dead_letters_total", "Messages a receiving adapter dead-lettered, by reason", ["receiver", "reason"])
REJECTIONS = Counter("jjj_rejections_total", "Requests refused (by ErrorInfo reason) and cases a mapping rejected",
                     ["jurisdiction", "reason"])
DEADLINES = Gauge("jjj_deadlines", "Deadline clocks the gateway runs, by state (running, due_soon, overdue) and holder",
                  ["state", "holder"])


def record_relayed(stage: str, flow: str, sender: str, receiver: str) -> None:
    RELAYED.labels(flow, sender, receiver, stage).inc()


def record_latency(flow: str, sender: str, receiver: str, sent_at: datetime, now: datetime | None = None) -> float:
    seconds = max(0.0, ((now or datetime.now(UTC)) - sent_at).total_seconds())
    LATENCY.labels(flow, sender, receiver).observe(seconds)
    return seconds


def record_rejection(jurisdiction: str, reason: str, count: int = 1) -> None:
    if count > 0:
        REJECTIONS.labels(jurisdiction or "none", reason).inc(count)


def record_dead_letter(receiver: str, reason: str) -> None:
    DEAD_LETTERS.labels(receiver, reason).inc()


def serve(port: int, *, host: str = "127.0.0.1", registry: CollectorRegistry = REGISTRY) -> int | None:
    """Serve /metrics on a loopback port (0: off); the process runs on without metrics if the port is taken.

    prometheus_client's server runs in a daemon thread: scrapes never wait on the event loop."""
    if not port:
        return None
    try:
        start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        log.error("metrics_not_served", port=port, error=str(error))
        return None
    log.info("metrics_listening", address=f"{host}:{port}")
    return port


