"""Several envelopes as one bus message: the receipts of one acknowledgement batch travel together.

Every message on the bus is handled in Python by each process that reads it (parsed,
dispatched, acknowledged); bundling the receipts took 2.3 NATS messages off a referral's ~18
(though, measured, under 0.1 ms of its CPU: docs/PERFORMANCE.md, tenth pass). A bundle (jjj.bus.v1.EnvelopeBundle, marked by the
`Jjj-Bundle` header with its count) carries envelopes exactly as each would travel alone,
each with its own signature: a reader verifies and takes each one as a message of its own
(`parts_of`), so what it proves (a receipt kept with its case) does not change. Only receipts
travel bundled: a bundle on any other subject is taken whole, and refused whole, by every reader.

A part settles the bundle, not the bus message: the message is acknowledged once every
part was, put back (nak, with the longest delay asked) once every part was taken and one
of them asked for that; a part never settled (a reader that failed) leaves the message to
be delivered again after the consumer's ack wait. A redelivered bundle is taken whole again:
its readers keep each envelope once (a receipt by the receipted envelope's id), so that is safe.

The bundle's message id is derived from its envelopes' ids, so the same bundle sent twice is
deduplicated by JetStream like a single envelope.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from google.protobuf.message import DecodeError
from nats.aio.msg import Msg

from kernel.bus import subjects
from jjj.bus.v1 import envelope_pb2

BUNDLE_HEADER = "Jjj-Bundle"
BUNDLE_CONTENT_TYPE = "application/x-protobuf; proto=jjj.bus.v1.EnvelopeBundle"
# Far below NATS's default 1 MiB payload: receipts are a few hundred bytes each.
MAX_ENVELOPES = 256


def pack(envelopes: Sequence[bytes]) -> bytes:
    return envelope_pb2.EnvelopeBundle(envelopes=list(envelopes)).SerializeToString()


def bundle_msg_id(envelope_ids: Sequence[str]) -> str:
    """The JetStream message id of a bundle of these envelopes (in this order)."""
    digest = hashlib.sha256()
    for envelope_id in envelope_ids:  # length-prefixed: no two lists of ids give the same bytes
        encoded = envelope_id.encode()
        digest.update(len(encoded).to_bytes(4, "big") + encoded)
    return "bundle/" + digest.hexdigest()[:40]


RECEIPT_SUBJECTS = f"jjj.{subjects.route_of(envelope_pb2.FLOW_RECEIPT).token}."


def is_bundle(message) -> bool:
    """A bundle on a subject where bundles travel: receipts only. Elsewhere the header is ignored and the
    message taken as one envelope, which no reader accepts (a bundle is not an envelope): refused whole."""
    headers = message.headers
    return bool(headers) and BUNDLE_HEADER in headers and message.subject.startswith(RECEIPT_SUBJECTS)


def envelopes_of(message) -> list[bytes]:
    """The envelopes a message (data, headers, subject) carries: its data, or a bundle's envelopes. A bundle
    that cannot be read is taken as one envelope of its bytes, refused as malformed and dead-lettered."""
    if not is_bundle(message):
        return [message.data]
    try:
        envelopes = list(envelope_pb2.EnvelopeBundle.FromString(message.data).envelopes)
    except DecodeError:
        return [message.data]
    return envelopes or [message.data]


@dataclass(eq=False)
class _Settlement:
    message: Msg
    parts: int
    acked: int = 0
    naked: int = 0
    nak_delay: float | None = None
    settled: bool = False

    async def ack(self) -> None:
        self.acked += 1
        await self._settle_if_all()

    async def nak(self, delay: float | None) -> None:
        self.naked += 1
        if delay is not None:
            self.nak_delay = max(self.nak_delay or 0.0, delay)
        await self._settle_if_all()

    async def _settle_if_all(self) -> None:
        if self.settled or self.acked + self.naked < self.parts:
            return
        self.settled = True
        if self.naked:
            await self.message.nak(delay=self.nak_delay)
        else:
            await self.message.ack()


@dataclass(eq=False)
class BundlePart:
    """One envelope of a bundled message, read like a message of its own (data, subject, headers, metadata);
    its ack and nak settle the bundle (the module's docstring says how)."""

    message: Msg
    data: bytes
    index: int
    _settlement: _Settlement = field(repr=False)

    @property
    def subject(self) -> str:
        return self.message.subject

    @property
    def headers(self) -> Mapping[str, str] | None:
        return self.message.headers

    @property
    def metadata(self):
        return self.message.metadata

    async def ack(self) -> None:
        await self._settlement.ack()

    async def nak(self, delay: float | None = None) -> None:
        await self._settlement.nak(delay)

    async def in_progress(self) -> None:
        await self.message.in_progress()


def parts_of(message: Msg) -> list[Msg | BundlePart]:
    """A fetched message as the messages its readers take: itself, or one part per envelope of a bundle."""
    if not is_bundle(message):
        return [message]
    envelopes = envelopes_of(message)
    settlement = _Settlement(message, len(envelopes))
    return [BundlePart(message, data, index, settlement) for index, data in enumerate(envelopes)]


def part_index(message: Msg | BundlePart) -> int:
    """Which envelope of its message this is (0 for a message of one): with the stream position, it names the bytes."""
    return message.index if isinstance(message, BundlePart) else 0
