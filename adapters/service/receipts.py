"""Receipts: the receiving adapter's signed word to a message's sender that its member acknowledged it.

Sent before the message is acknowledged on the bus, without waiting for JetStream's answer
(the member's acknowledgement stays fast; on one connection the receipt reaches the server
before the ack, so a crash loses neither or only the ack, and then both come again). The
receipts of one acknowledgement batch to one sender go as one bundled message
(kernel/bus/bundles.py), each still signed on its own: its sender keeps each with its case.
"""

from __future__ import annotations

from collections.abc import Iterable

from nats.aio.client import Client

from kernel import jurisdictions
from kernel.bus import bundles, jetstream, subjects
from kernel.bus.envelopes import case_id_of
from kernel.jurisdictions import Member
from kernel.security import envelopes as signed
from kernel.security.signing import Signer
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

RECEIPT = envelope_pb2.FLOW_RECEIPT


def receipt_for(receiver: Member, envelope: envelope_pb2.Envelope, received: bytes, *, delivered_at: float = 0.0,
                delivery_count: int = 0) -> envelope_pb2.Envelope | None:
    """`receiver`'s receipt of `envelope` (`received`: its bytes as taken from the bus), first shown to the
    member at `delivered_at` (epoch seconds, 0: not known) and delivered `delivery_count` times by then;
    None for the federation's notices, which get none."""
    if envelope.sender == case_pb2.JURISDICTION_UNSPECIFIED:
        return None
    receipt = envelope_pb2.Receipt(envelope_id=envelope.envelope_id, envelope_digest=signed.digest(received),
                                   receiver=receiver.enum, flow=envelope.flow, case_id=case_id_of(envelope))
    receipt.acknowledged_at.GetCurrentTime()
    if delivered_at:
        receipt.delivered_at.FromNanoseconds(int(delivered_at * 1e9))
    receipt.delivery_count = delivery_count
    return envelope_pb2.Envelope(
        envelope_id=f"receipt/{envelope.envelope_id}", flow=RECEIPT, sender=receiver.enum,
        destination=envelope.sender, sent_at=receipt.acknowledged_at, receipt=receipt,
    )


def by_sender(receipts: Iterable[envelope_pb2.Envelope | None]) -> dict[int, list[envelope_pb2.Envelope]]:
    """The receipts grouped by the sender they go back to, each group in the given order (Nones left out)."""
    grouped: dict[int, list[envelope_pb2.Envelope]] = {}
    for receipt in receipts:
        if receipt is not None:
            grouped.setdefault(receipt.destination, []).append(receipt)
    return grouped


async def send_receipts(nc: Client, receiver: Member, signer: Signer,
                        receipts: Iterable[envelope_pb2.Envelope | None]) -> None:
    """Each receipt signed; those to one sender in one bundled message (up to its maximum), a lone one as itself."""
    for destination, addressed in by_sender(receipts).items():
        subject = subjects.subject(RECEIPT, jurisdictions.by_enum(destination), receiver)
        if len(addressed) == 1:
            await jetstream.send_envelope(nc, subject, addressed[0], signer=signer)
            continue
        for start in range(0, len(addressed), bundles.MAX_ENVELOPES):
            chunk = addressed[start:start + bundles.MAX_ENVELOPES]
            await jetstream.send_bundle(nc, subject, [(receipt.envelope_id, signed.sign(receipt, signer)) for receipt in chunk])
