"""Small pure readers of bus envelopes."""

from __future__ import annotations

from kernel import jurisdictions
from kernel.bus import subjects
from kernel.domain.casestate import Step, step_of
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

CASE_PAYLOADS = ("referral", "hotline_transfer")


def case_id_of(envelope: envelope_pb2.Envelope) -> str:
    """The case an envelope is about ("" for information shares)."""
    payload = envelope.WhichOneof("payload")
    if payload == "status_update":
        return envelope.status_update.case_id
    if payload in CASE_PAYLOADS:
        return getattr(envelope, payload).case.case_id
    return ""


def case_step(envelope: envelope_pb2.Envelope) -> Step | None:
    """The case-state step an envelope carries, for `kernel.domain.casestate.fold`."""
    return step_of(envelope, origin_of=lambda case_id: jurisdictions.origin_of_case_id(case_id).enum)


def subject_mismatch(subject: str, envelope: envelope_pb2.Envelope) -> str | None:
    """Why an envelope may not be believed on the subject it came on; None when it may.

    The bus permissions authenticate the subject's sender token (a principal publishes
    only `jjj.*.*.<itself>`), not the envelope's own `sender` field: an envelope that
    names another sender or destination than its subject is a forgery and is refused.
    """
    try:
        _, destination_token, sender_token = subjects.parse_subject(subject)
        destination = jurisdictions.by_token(destination_token).enum
        sender = (case_pb2.JURISDICTION_UNSPECIFIED if sender_token == subjects.FEDERATION_TOKEN
                  else jurisdictions.by_token(sender_token).enum)
    except (ValueError, jurisdictions.UnknownJurisdiction) as error:
        return str(error)
    if envelope.sender != sender:
        return f"the envelope names {jurisdictions.display_name(envelope.sender)} as sender, its subject {sender_token}"
    if envelope.destination != destination:
        return f"the envelope names {jurisdictions.display_name(envelope.destination)} as destination, its subject {destination_token}"
    return None
