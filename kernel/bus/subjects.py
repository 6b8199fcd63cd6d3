"""Subjects, streams and message ids of the bus. Pure: no I/O.

Subjects are `jjj.<flow>.<to>.<from>`: addressed by destination and saying the
sender, so that per-jurisdiction identities can later be limited to publishing
`jjj.*.*.<self>` and subscribing `jjj.*.<self>.>`.
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
