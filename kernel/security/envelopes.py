"""Signing bus envelopes, and checking a received one's signature and sender. Pure.

The signed bytes are the envelope's deterministic serialization with its signature
field holding key_id and signed_at but no value. The wire bytes are those bytes with
the value appended as a second occurrence of the signature field, which protobuf
merges into the first when parsing: the sender serializes once. The receiver parses
once and re-serializes once (without the value) to verify.

A received envelope is accepted only when its key is in the registry and was valid
when the bus took the message, the signature verifies, and the key's owner, the
envelope's sender and the subject's sender token name the same party (the
federation's key for the federation's subjects); and, for a named receiver, when
subject and envelope are addressed to it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from google.protobuf.message import DecodeError

from kernel import jurisdictions
from kernel.bus import subjects
from kernel.jurisdictions import Member
from kernel.security.keys import FEDERATION, KeyEntry
from kernel.security.signing import Signer, verify
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

Reason = envelope_pb2.DeadLetterReason


class KeyLookup(Protocol):
    def get(self, wanted: str) -> KeyEntry | None: ...


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a message is not accepted. `final` False: it may become acceptable (wait and retry)."""

    reason: int  # envelope_pb2.DeadLetterReason
    detail: str
    final: bool = True

    @property
    def reason_name(self) -> str:
        return Reason.Name(self.reason)


@dataclass(frozen=True, slots=True)
class Verified:
    envelope: envelope_pb2.Envelope
    key: KeyEntry


def sign(envelope: envelope_pb2.Envelope, signer: Signer, *, now: datetime | None = None) -> bytes:
    """Sign in place (envelope.signature is set) and return the bytes to publish. Any message with a
    jjj.bus.v1.Signature field named `signature` is signed the same way (an IngestChunk too)."""
    signature = envelope.signature
    signature.Clear()
    signature.key_id = signer.key_id
    signature.signed_at.FromDatetime(now or datetime.now(UTC))
    signed = envelope.SerializeToString(deterministic=True)
    value = signer.sign(signed)
    signature.value = value
    # A second occurrence of a message field merges into the first: the message is not serialized twice.
    return signed + type(envelope)(signature=envelope_pb2.Signature(value=value)).SerializeToString()


def signed_bytes(envelope: envelope_pb2.Envelope) -> bytes:
    """What the sender signed: the envelope without its signature's value (the envelope is left as it was)."""
    value = envelope.signature.value
    envelope.signature.value = b""
    try:
        return envelope.SerializeToString(deterministic=True)
    finally:
        envelope.signature.value = value


def digest(data: bytes) -> bytes:
    """The digest receipts and the audit log name a message by: SHA-256 of its bytes as published."""
    return hashlib.sha256(data).digest()


def parse(data: bytes) -> envelope_pb2.Envelope | Refusal:
    try:
        return envelope_pb2.Envelope.FromString(data)
    except DecodeError as error:
        return Refusal(Reason.DEAD_LETTER_REASON_MALFORMED, f"not an envelope: {error}")


def check_signature(envelope: envelope_pb2.Envelope, keys: KeyLookup, *, published_at: datetime | None) -> KeyEntry | Refusal:
    """The registry entry of the key that validly signed the envelope, or why not."""
    if not envelope.HasField("signature") or not envelope.signature.value:
        return Refusal(Reason.DEAD_LETTER_REASON_UNSIGNED, "the envelope carries no signature")
    signature = envelope.signature
    entry = keys.get(signature.key_id)
    if entry is None:
        return Refusal(Reason.DEAD_LETTER_REASON_UNKNOWN_KEY, f"key {signature.key_id!r} is in no registry entry")
    # The bus's own time says when the message was sent; the signer's claim is only a fallback.
    when = published_at or signature.signed_at.ToDatetime(tzinfo=UTC)
    if not entry.valid_at(when):
        until = entry.valid_until.isoformat() if entry.valid_until else "open"
        return Refusal(Reason.DEAD_LETTER_REASON_KEY_NOT_VALID,
                       f"key {entry.key_id} of {entry.owner} is valid {entry.valid_from.isoformat()} to {until}, "
                       f"not at {when.isoformat()}")
    if not verify(entry.public_key, signature.value, signed_bytes(envelope)):
        return Refusal(Reason.DEAD_LETTER_REASON_BAD_SIGNATURE, f"the signature does not verify with key {entry.key_id}")
    return entry


def claimed_signer(envelope: envelope_pb2.Envelope) -> str:
    """Who must have signed the envelope: its sender's name, or the federation."""
    if envelope.sender == case_pb2.JURISDICTION_UNSPECIFIED:
        return FEDERATION
    return jurisdictions.by_enum(envelope.sender).name


def check_addressing(envelope: envelope_pb2.Envelope, key: KeyEntry, subject: str, receiver: Member | None) -> Refusal | None:
    """Key owner, sender and subject agree; the message is addressed to `receiver` (when named)."""
    def mismatch(detail: str) -> Refusal:
        return Refusal(Reason.DEAD_LETTER_REASON_SENDER_MISMATCH, detail)

    try:
        route, to_token, from_token = subjects.parse_subject(subject)
        signer = claimed_signer(envelope)
        destination = jurisdictions.by_enum(envelope.destination)
    except (ValueError, jurisdictions.UnknownJurisdiction) as error:
        return mismatch(str(error))
    if key.owner != signer:
        return mismatch(f"signed with a key of {key.owner}, but the envelope's sender is {signer}")
    expected_from = subjects.FEDERATION_TOKEN if signer == FEDERATION else jurisdictions.by_name(signer).token
    if from_token != expected_from:
        return mismatch(f"subject {subject} says sender {from_token!r}, the envelope {signer}")
    if route.flow != envelope.flow:
        return mismatch(f"subject {subject} is not of flow {envelope_pb2.Flow.Name(envelope.flow)}")
    if to_token != destination.token:
        return mismatch(f"subject {subject} is addressed to {to_token!r}, the envelope to {destination.name}")
    if receiver is not None and destination.enum != receiver.enum:
        return mismatch(f"addressed to {destination.name}, not to {receiver.name}")
    return None


def verify_message(data: bytes, subject: str, keys: KeyLookup, *, receiver: Member | None,
                   published_at: datetime | None) -> Verified | Refusal:
    """Everything a receiver checks before a message may touch its state or reach its member."""
    envelope = parse(data)
    if isinstance(envelope, Refusal):
        return envelope
    key = check_signature(envelope, keys, published_at=published_at)
    if isinstance(key, Refusal):
        return key
    refusal = check_addressing(envelope, key, subject, receiver)
    return refusal or Verified(envelope, key)


class VerificationCache:
    """verify_message once per stored message, for the several consumers of one process reading it.

    Keyed by (stream, stream sequence, part of a bundle), which names one envelope's bytes for good; an
    Ed25519 verification costs far more than the lookup. The consumers of one process read
    a message within moments of each other, so a small bound (oldest out first) is enough.
    """

    def __init__(self, keys: KeyLookup, *, size: int = 1024) -> None:
        self.keys = keys
        self.size = size
        self._outcomes: OrderedDict[tuple[str, int, int], Verified | Refusal] = OrderedDict()

    def verify(self, data: bytes, subject: str, *, receiver: Member | None, published_at: datetime | None,
               stream: str = "", sequence: int = 0, part: int = 0) -> Verified | Refusal:
        """`part`: which envelope of a bundled message (kernel.bus.bundles) the bytes are."""
        if not stream:
            return verify_message(data, subject, self.keys, receiver=receiver, published_at=published_at)
        key = (stream, sequence, part)
        outcome = self._outcomes.get(key)
        if outcome is None:
            outcome = verify_message(data, subject, self.keys, receiver=receiver, published_at=published_at)
            self._outcomes[key] = outcome
            if len(self._outcomes) > self.size:
                self._outcomes.popitem(last=False)
        return outcome
