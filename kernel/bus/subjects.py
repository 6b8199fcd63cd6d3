"""Subjects, streams and message ids of the bus. Pure: no I/O.

Subjects are `jjj.<flow>.<to>.<from>`: addressed by destination and saying the
sender, so that each jurisdiction's identity on the bus is limited to publishing
`jjj.*.*.<self>` and to consumers filtered on `jjj.<flow>.<self>.*` (the
permissions cli/natsauth.py derives from this module). Names of the KV buckets
and durable consumers are here too, for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.jurisdictions import Member
from jjj.bus.v1 import envelope_pb2

Flow = envelope_pb2.Flow


@dataclass(frozen=True, slots=True)
class FlowRoute:
    flow: int
    token: str
    stream: str
    # Subjects of the same stream that member inboxes do not read (adapter-to-adapter traffic).
    internal_tokens: tuple[str, ...] = ()


# What the federation itself sends (the gateway: deadline notices) says this instead of a member's token.
FEDERATION_TOKEN = "fed"

# Case digests for repeat detection travel between adapters on jjj.digest.<to>.<from>:
# the same stream as shares, but not what a member system's inbox is for.
DIGEST_TOKEN = "digest"

FLOW_ROUTES: tuple[FlowRoute, ...] = (
    FlowRoute(Flow.FLOW_REFERRAL, "referral", "JJJ_REFERRALS"),
    FlowRoute(Flow.FLOW_HOTLINE_TRANSFER, "transfer", "JJJ_TRANSFERS"),
    FlowRoute(Flow.FLOW_STATUS_UPDATE, "status", "JJJ_STATUS"),
    FlowRoute(Flow.FLOW_INFORMATION_SHARE, "share", "JJJ_SHARES", internal_tokens=(DIGEST_TOKEN,)),
    # Receipts travel between adapters only: a member's inbox does not read them.
    FlowRoute(Flow.FLOW_RECEIPT, "receipt", "JJJ_RECEIPTS"),
)
# The flows a member system sees in its inbox, and the gateway projects.
MEMBER_ROUTES: tuple[FlowRoute, ...] = tuple(route for route in FLOW_ROUTES if route.flow != Flow.FLOW_RECEIPT)

# Messages a receiving process refused: jjj.dead.<receiver>.<sender token>. Not envelopes
# (jjj.bus.v1.DeadLetter), so on no flow route.
DEAD_LETTER_STREAM = "JJJ_DEAD_LETTERS"
DEAD_LETTER_TOKEN = "dead"
# What operators did to each dead letter (redriven, discarded), by its stream sequence.
DEAD_LETTER_ACTIONS_BUCKET = "JJJ_DEAD_LETTER_ACTIONS"
# The gateway's signed audit chain heads (jjj.bus.v1 has no message for them: JSON), kept off-host.
AUDIT_ANCHOR_STREAM = "JJJ_AUDIT_ANCHORS"
AUDIT_ANCHOR_SUBJECT = "jjj.audit.anchor"
_BY_FLOW = {route.flow: route for route in FLOW_ROUTES}
_BY_TOKEN = {token: route for route in FLOW_ROUTES for token in (route.token, *route.internal_tokens)}


def route_of(flow: int) -> FlowRoute:
    try:
        return _BY_FLOW[flow]
    except KeyError:
        raise ValueError(f"no bus route for {Flow.Name(flow)}") from None


def subject(flow: int, destination: Member, sender: Member) -> str:
    return f"jjj.{route_of(flow).token}.{destination.token}.{sender.token}"


def federation_subject(flow: int, destination: Member) -> str:
    return f"jjj.{route_of(flow).token}.{destination.token}.{FEDERATION_TOKEN}"


def dead_letter_subject(receiver: Member, sender_token: str) -> str:
    return f"jjj.{DEAD_LETTER_TOKEN}.{receiver.token}.{sender_token}"


def inbox_filter(flow: int, destination: Member) -> str:
    return f"jjj.{route_of(flow).token}.{destination.token}.*"


def digest_subject(destination: Member, sender: Member) -> str:
    return f"jjj.{DIGEST_TOKEN}.{destination.token}.{sender.token}"


def digest_filter(destination: Member) -> str:
    return f"jjj.{DIGEST_TOKEN}.{destination.token}.*"


def is_digest(subject: str) -> bool:
    """A case-digest subject: internal to the adapters, read by one consumer of each (its sharing)."""
    return subject.startswith(f"jjj.{DIGEST_TOKEN}.")


def stream_subjects(route: FlowRoute) -> list[str]:
    return [f"jjj.{token}.>" for token in (route.token, *route.internal_tokens)]


def parse_subject(value: str) -> tuple[FlowRoute, str, str]:
    """(route, destination token, sender token) of a bus subject."""
    parts = value.split(".")
    if len(parts) != 4 or parts[0] != "jjj" or parts[1] not in _BY_TOKEN:
        raise ValueError(f"not a bus subject: {value!r}")
    return _BY_TOKEN[parts[1]], parts[2], parts[3]


def case_envelope_id(case_id: str, flow: int, version: int) -> str:
    """Deterministic id for a case's message: the same step sent twice is one message."""
    return f"{case_id}/{route_of(flow).token}/{version}"


def durable_name(purpose: str, member_token: str, flow: int) -> str:
    return f"{purpose}_{member_token}_{route_of(flow).token}"


# What an adapter's inbox and state tracker read: (purpose, flows). Durable consumers are named
# <purpose>_<member token>_<flow token>; the bus permissions protect each member's own.
INBOX_PURPOSE = "inbox"
STATE_PURPOSE = "state"
TRACKED_FLOWS = (Flow.FLOW_REFERRAL, Flow.FLOW_HOTLINE_TRANSFER, Flow.FLOW_STATUS_UPDATE, Flow.FLOW_RECEIPT)


def member_durables(member: Member) -> list[tuple[str, str]]:
    """(stream, durable consumer) of every durable consumer a member's adapter uses."""
    inbox = [(route.stream, durable_name(INBOX_PURPOSE, member.token, route.flow)) for route in MEMBER_ROUTES]
    state = [(route_of(flow).stream, durable_name(STATE_PURPOSE, member.token, flow)) for flow in TRACKED_FLOWS]
    return inbox + state + [(INGEST_STREAM, ingest_durable(member))]


def member_filters(member: Member) -> list[tuple[str, str]]:
    """(stream, filter subject) of everything addressed to a member: the only consumers it may create."""
    filters = [(route.stream, inbox_filter(route.flow, member)) for route in FLOW_ROUTES]
    return filters + [(route_of(Flow.FLOW_INFORMATION_SHARE).stream, digest_filter(member)),
                      (INGEST_STREAM, ingest_subject(member))]


# An adapter's own queue of ingested cases (IngestDocument), written and read by it alone:
# jjj.ingest.<self>.<self>, so the permission to publish only as itself (jjj.*.*.<self>) covers it and
# no other member can put anything where its consumer reads. Not a flow: no member inbox, no gateway.
INGEST_STREAM = "JJJ_INGEST"
INGEST_TOKEN = "ingest"


def ingest_subject(member: Member) -> str:
    return f"jjj.{INGEST_TOKEN}.{member.token}.{member.token}"


def ingest_durable(member: Member) -> str:
    return f"{INGEST_TOKEN}_{member.token}"


def ingest_msg_id(ingest_id: str, chunk: int) -> str:
    return f"{ingest_id}/{INGEST_TOKEN}/{chunk}"


def cases_bucket(member: Member) -> str:
    return f"JJJ_CASES_{member.token.upper()}"


def requests_bucket(member: Member) -> str:
    return f"JJJ_REQUESTS_{member.token.upper()}"


# request_id -> first response is kept for a week (idempotent retries).
REQUESTS_TTL_SECONDS = 7 * 24 * 3600


def inbox_prefix(principal: str) -> str:
    """Reply subjects of one principal: nobody else may subscribe under it."""
    return f"_INBOX.{principal}"

# What the federation itself sends (the gateway's deadline notices) says this as its sender token.
FEDERATION_TOKEN = "fed"
