"""Who may do what on the bus: the nats-server users and permissions, derived from the bus layout.

One user per principal, named by its certificate's subject (nats-server maps a
verified client certificate to the user of that subject: `verify_and_map`). Access
is denied by default; each principal is allowed exactly this:

- operator: everything (it provisions streams and buckets; operator commands).
- adapter of jurisdiction J (token t):
  publish `jjj.*.*.t` only (it can speak only as itself);
  create consumers only through the API subject that carries the filter, and only
  with filters addressed to it (`$JS.API.CONSUMER.CREATE.<stream>.*.jjj.<flow>.t.*`,
  the server checks the filter in the request matches); never the unfiltered form;
  read and acknowledge only its own durable consumers (INFO, MSG.NEXT, $JS.ACK);
  never create, change or delete another member's durable consumers (denied by name);
  its own KV buckets only ($KV.<bucket>.>, STREAM.INFO, direct and message get);
  subscribe only to its own reply subjects (`_INBOX.<principal>.>`).
- gateway: read every flow (ordered consumers filtered on `jjj.<flow>.>`, and on the
  whole stream), find where a stream stands by time (STREAM.MSG.GET, STREAM.INFO of the
  flow streams), publish only `jjj.share.*.fed` (the federation's notices), its own replies.
No principal may create, update, delete or purge a stream or bucket except the operator.
"""

from __future__ import annotations

from kernel import jurisdictions
from kernel.bus import subjects
from kernel.jurisdictions import Member
from kernel.security import pki

FEDERATION_TOKEN = subjects.FEDERATION_TOKEN
JS = "$JS.API"


def _own_consumers(stream: str, durable: str) -> list[str]:
    return [f"{JS}.CONSUMER.INFO.{stream}.{durable}", f"{JS}.CONSUMER.MSG.NEXT.{stream}.{durable}",
            f"$JS.ACK.{stream}.{durable}.>"]


def _bucket_access(bucket: str) -> list[str]:
    stream = f"KV_{bucket}"
    return [f"$KV.{bucket}.>", f"{JS}.STREAM.INFO.{stream}", f"{JS}.DIRECT.GET.{stream}", f"{JS}.DIRECT.GET.{stream}.>",
            f"{JS}.STREAM.MSG.GET.{stream}"]


def _durables_not_of(owner: Member | None) -> list[str]:
    """Creating (or re-creating, which updates) another member's durable consumer is denied by name."""
    denied = []
    for member in jurisdictions.members():
        if owner is not None and member.token == owner.token:
            continue
        for stream, durable in subjects.member_durables(member):
            denied += [f"{JS}.CONSUMER.CREATE.{stream}.{durable}", f"{JS}.CONSUMER.CREATE.{stream}.{durable}.>",
                       f"{JS}.CONSUMER.DURABLE.CREATE.{stream}.{durable}"]
    return denied


def adapter_permissions(member: Member) -> dict:
    principal = pki.adapter_principal(member.name)
    # As itself; and dead letters of what it refused, addressed by receiver (itself) then sender.
    publish = [f"jjj.*.*.{member.token}", f"jjj.{subjects.DEAD_LETTER_TOKEN}.{member.token}.*"]
    for stream, filter_subject in subjects.member_filters(member):
        publish.append(f"{JS}.CONSUMER.CREATE.{stream}.*.{filter_subject}")
    for stream, durable in subjects.member_durables(member):
        publish += _own_consumers(stream, durable)
    # Ordered consumers (shares and digests addressed to it) answer the server's flow control.
    publish.append(f"$JS.FC.{subjects.route_of(subjects.Flow.FLOW_INFORMATION_SHARE).stream}.>")
    for bucket in (subjects.cases_bucket(member), subjects.requests_bucket(member)):
        publish += _bucket_access(bucket)
    return {"publish": {"allow": publish, "deny": _durables_not_of(member)},
            "subscribe": {"allow": [f"{subjects.inbox_prefix(principal)}.>"]}}


def gateway_permissions() -> dict:
    publish = [f"jjj.{subjects.route_of(subjects.Flow.FLOW_INFORMATION_SHARE).token}.*.{FEDERATION_TOKEN}"]
    for route in subjects.FLOW_ROUTES:
        publish += [f"{JS}.CONSUMER.CREATE.{route.stream}.*.jjj.{route.token}.>", f"$JS.FC.{route.stream}.>"]
    # The audit log reads every stream whole (one cursor per stream), dead letters included,
    # and publishes its signed anchors.
    for stream in (*dict.fromkeys(route.stream for route in subjects.FLOW_ROUTES), subjects.DEAD_LETTER_STREAM):
        # nats-py names an unfiltered ordered consumer in the subject without a filter (CREATE.<stream>.<name>).
        publish += [f"{JS}.CONSUMER.CREATE.{stream}.*", f"{JS}.CONSUMER.CREATE.{stream}.*.>", f"$JS.FC.{stream}.>"]
    # Cluster sightings start two windows back: the first message since then (a message of a stream it
    # reads whole anyway) and, when there is none, the stream's last sequence (kernel/bus/positions.py).
    for stream in dict.fromkeys(route.stream for route in subjects.FLOW_ROUTES):
        publish += [f"{JS}.STREAM.MSG.GET.{stream}", f"{JS}.STREAM.INFO.{stream}"]
    publish += [subjects.AUDIT_ANCHOR_SUBJECT, f"jjj.{subjects.DEAD_LETTER_TOKEN}.fed.*"]
    return {"publish": {"allow": publish, "deny": _durables_not_of(None)},
            "subscribe": {"allow": [f"{subjects.inbox_prefix(pki.GATEWAY)}.>"]}}


def permissions() -> dict[str, dict | None]:
    """principal -> its permissions (None: unrestricted, the operator only)."""
    table: dict[str, dict | None] = {pki.OPERATOR: None, pki.GATEWAY: gateway_permissions()}
    for member in jurisdictions.members():
        table[pki.adapter_principal(member.name)] = adapter_permissions(member)
    return table


def users(subject_of: dict[str, str]) -> list[dict]:
    """nats-server `authorization.users`: one per principal, named by its certificate subject."""
    result = []
    for principal, allowed in permissions().items():
        user: dict = {"user": subject_of[principal]}
        if allowed is not None:
            user["permissions"] = allowed
        result.append(user)
    return result
