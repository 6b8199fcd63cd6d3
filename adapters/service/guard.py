"""The receiving adapter's gate: nothing reaches its member system or its records unverified.

Every message an adapter takes from the bus (inbox, state tracker, sharing) passes
`Guard.verify` (signature, key validity, sender and addressing: kernel.security.envelopes)
and then the relay's own-state check (kernel.security.admission). A refused message
is published to JJJ_DEAD_LETTERS with its bytes and the reason, then acknowledged on
its consumer so it is never delivered again. A message that may become acceptable
(a step whose referral was not seen yet) is retried with a growing delay, a bounded
number of times, before it is dead-lettered. Consumers reading the same message
dead-letter it under one message id, so JetStream keeps one copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from adapters.service import observe
from kernel.bus import bundles, deadletters, jetstream, subjects
from kernel.bus.bundles import BundlePart
from kernel.config import SecuritySettings
from kernel.jurisdictions import Member
from kernel.security.envelopes import KeyLookup, Refusal, Verified, VerificationCache
from jjj.bus.v1 import envelope_pb2

log = structlog.get_logger(__name__)
DEAD_LETTER_CONTENT_TYPE = "application/x-protobuf; proto=jjj.bus.v1.DeadLetter"
MAX_RETRY_DELAY = 5.0


def _metadata(message: Msg):
    try:
        return message.metadata
    except Exception:  # not a JetStream message (a test's plain publish): nothing to read
        return None


@dataclass
class Guard:
    member: Member
    js: JetStreamContext
    keys: KeyLookup
    limits: SecuritySettings

    def __post_init__(self) -> None:
        # The inbox, the state tracker and sharing read the same messages: verify each once.
        self._cache = VerificationCache(self.keys)

    def verify(self, message: Msg | BundlePart, *, read_once: bool = False) -> Verified | Refusal:
        """`read_once`: no other consumer of this process reads the message (a digest), so its outcome is not
        kept: 1,024 kept digest batches held ~20 MB, and their interleaving with short-lived parses kept the
        allocator from giving memory back (Tianjin's adapter grew ~0.8 KB per shared case, without bound)."""
        meta = _metadata(message)
        if meta is None:
            return self._cache.verify(message.data, message.subject, receiver=self.member, published_at=None)
        if read_once:  # without its stream position the cache neither keeps nor looks up
            return self._cache.verify(message.data, message.subject, receiver=self.member, published_at=meta.timestamp)
        return self._cache.verify(message.data, message.subject, receiver=self.member, published_at=meta.timestamp,
                                  stream=meta.stream, sequence=meta.sequence.stream, part=bundles.part_index(message))

    async def refuse(self, message: Msg | BundlePart, refusal: Refusal, *, acknowledge: bool = True) -> None:
        """Retry a refusal that may pass later; dead-letter (and acknowledge) one that will not."""
        meta = _metadata(message)
        deliveries = meta.num_delivered if meta is not None else 1
        if not refusal.final and acknowledge and deliveries < self.limits.max_retries:
            delay = min(MAX_RETRY_DELAY, self.limits.retry_delay_seconds * 2 ** (deliveries - 1))
            await message.nak(delay=delay)
            log.info("message_deferred", receiver=self.member.name, subject=message.subject, reason=refusal.reason_name,
                     deliveries=deliveries, retry_in_s=delay)
            return
        await self.dead_letter(message, refusal, deliveries=deliveries)
        if acknowledge:
            await message.ack()

    async def dead_letter(self, message: Msg | BundlePart, refusal: Refusal, *, deliveries: int) -> None:
        meta = _metadata(message)
        stream, sequence = (meta.stream, meta.sequence.stream) if meta is not None else ("", 0)
        letter = envelope_pb2.DeadLetter(
            envelope=message.data, subject=message.subject, reason=refusal.reason, detail=refusal.detail,
            receiver=self.member.enum, delivery_count=deliveries, stream=stream, stream_sequence=sequence,
            envelope_id=_envelope_id(message.data), replay_count=deadletters.replay_count_of(message.headers),
        )
        letter.rejected_at.FromDatetime(datetime.now(UTC))
        sender_token = _sender_token(message.subject)
        msg_id = f"dead/{self.member.token}/{stream}/{sequence}" if stream else f"dead/{self.member.token}/{letter.envelope_id}"
        if stream and bundles.part_index(message):  # another envelope of the same bundled message
            msg_id += f"/{bundles.part_index(message)}"
        await jetstream.publish_bytes(self.js, subjects.dead_letter_subject(self.member, sender_token),
                                      letter.SerializeToString(), msg_id=msg_id, content_type=DEAD_LETTER_CONTENT_TYPE)
        observe.dead_lettered(self.member, refusal.reason)
        # Ids and the reason only: the detail names jurisdictions, keys and statuses, never a citizen.
        log.warning("dead_lettered", receiver=self.member.name, subject=message.subject, envelope_id=letter.envelope_id,
                    reason=refusal.reason_name, detail=refusal.detail, deliveries=deliveries, stream=stream,
                    stream_seq=sequence)


def _envelope_id(data: bytes) -> str:
    try:
        return envelope_pb2.Envelope.FromString(data).envelope_id
    except Exception:  # malformed bytes: the dead letter keeps them whole
        return ""


def _sender_token(subject: str) -> str:
    parts = subject.split(".")
    token = parts[3] if len(parts) == 4 else "unknown"
    return token if token.isalnum() else "unknown"
