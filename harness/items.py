"""Inbox items read as an engineer reads them: which case, which flow, from whom, what it says."""

from __future__ import annotations

from google.protobuf import json_format

from harness import names
from kernel.bus import envelopes
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2


def envelope_of(item: adapter_pb2.InboxItem | envelope_pb2.Envelope) -> envelope_pb2.Envelope:
    return item.envelope if isinstance(item, adapter_pb2.InboxItem) else item


def case_id_of(item: adapter_pb2.InboxItem | envelope_pb2.Envelope) -> str:
    """The case an item is about: a share's first digest, deadline notice or repeat link; "" for a notice."""
    envelope = envelope_of(item)
    case_id = envelopes.case_id_of(envelope)
    if case_id or envelope.WhichOneof("payload") != "information_share":
        return case_id
    share = envelope.information_share
    for about in (share.digests, share.deadlines, share.repeat_links):
        if about:
            return about[0].case_id
    return ""


def status_of(item: adapter_pb2.InboxItem | envelope_pb2.Envelope) -> int | None:
    """The status a status update moves its case to, None for any other item."""
    envelope = envelope_of(item)
    return envelope.status_update.status if envelope.WhichOneof("payload") == "status_update" else None


def summary(item: adapter_pb2.InboxItem) -> dict:
    """One line's worth of an item, JSON-ready (no personal data: the case's content is not in it)."""
    envelope = item.envelope
    payload = envelope.WhichOneof("payload") or ""
    row = {"item_id": item.item_id, "flow": names.flow_name(envelope.flow), "case_id": case_id_of(item),
           "sender": names.member_label(envelope.sender), "envelope_id": envelope.envelope_id,
           "request_id": envelope.request_id,
           "delivery": item.delivery_count, "detail": ""}
    if payload == "status_update":
        update = envelope.status_update
        row["detail"] = names.status_name(update.status) + (f" ({update.reason})" if update.reason else "")
    elif payload in ("referral", "hotline_transfer"):
        moved = getattr(envelope, payload)
        row["detail"] = f"attempt {moved.attempt}" + (f"; {moved.note}" if moved.note else "")
    elif payload == "information_share":
        share = envelope.information_share
        row["detail"] = envelope_pb2.ShareTopic.Name(share.topic) + (f": {share.title}" if share.title else "")
    return row


def as_json(message) -> dict:
    """Protobuf JSON with the proto's field names, every field present (a script need not know the defaults)."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
