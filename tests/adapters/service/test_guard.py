"""The adapter's guard: each stored message verified once for the consumers of a process that read it,
and a digest (read by one consumer only) verified without being kept."""

from __future__ import annotations

from datetime import timedelta

from nats.aio.msg import Msg

from adapters.service.guard import Guard
from kernel import jurisdictions
from kernel.bus import subjects
from kernel.config import SecuritySettings
from kernel.security.envelopes import Verified, sign
from jjj.bus.v1 import envelope_pb2
from tests.kernel.security.support import REGISTRY, SIGNERS, T0, referral

BEIJING, HEBEI = jurisdictions.by_name("beijing"), jurisdictions.by_name("hebei")


def _stored(subject: str, data: bytes, stream: str, sequence: int) -> Msg:
    """A message as a JetStream consumer receives it: its stream position is in the reply subject."""
    published_ns = int((T0 + timedelta(seconds=1)).timestamp() * 1e9)
    return Msg(None, subject=subject, reply=f"$JS.ACK.{stream}.consumer.1.{sequence}.{sequence}.{published_ns}.0", data=data)


def _digest_share() -> envelope_pb2.Envelope:
    share = envelope_pb2.InformationShare(topic=envelope_pb2.SHARE_TOPIC_CASE_DIGEST,
                                          classification=envelope_pb2.CLASSIFICATION_INTERNAL, title="case digest")
    share.digests.add(case_id="jjj:BJ:BJ1", requester_key="k", admin_code="110105").content_sketch.extend([1, 5, 9])
    envelope = envelope_pb2.Envelope(envelope_id="jjj:BJ:BJ1/digest/he", flow=envelope_pb2.FLOW_INFORMATION_SHARE,
                                     sender=BEIJING.enum, destination=HEBEI.enum, information_share=share)
    envelope.sent_at.FromDatetime(T0)
    return envelope


def _guard() -> Guard:
    return Guard(member=HEBEI, js=None, keys=REGISTRY, limits=SecuritySettings())


def test_a_message_several_consumers_read_is_verified_once_and_a_digest_is_not_kept():
    guard = _guard()
    data = sign(referral(), SIGNERS["beijing"], now=T0)
    first = guard.verify(_stored("jjj.referral.he.bj", data, "JJJ_REFERRALS", 7))
    again = guard.verify(_stored("jjj.referral.he.bj", data, "JJJ_REFERRALS", 7))
    assert isinstance(first, Verified) and again is first  # the inbox and the tracker share one verification

    digest_subject = subjects.digest_subject(HEBEI, BEIJING)
    digest = sign(_digest_share(), SIGNERS["beijing"], now=T0)
    outcomes = [guard.verify(_stored(digest_subject, digest, "JJJ_SHARES", 9), read_once=True) for _ in range(2)]
    assert all(isinstance(outcome, Verified) for outcome in outcomes)
    assert outcomes[0] is not outcomes[1]  # verified each time: nothing of it kept in memory
    assert outcomes[0].envelope.information_share.digests[0].content_sketch == [1, 5, 9]


def test_a_read_once_message_is_still_checked_like_any_other():
    guard = _guard()
    tampered = bytearray(sign(_digest_share(), SIGNERS["beijing"], now=T0))
    tampered[-1] ^= 0xFF
    outcome = guard.verify(_stored(subjects.digest_subject(HEBEI, BEIJING), bytes(tampered), "JJJ_SHARES", 3), read_once=True)
    assert not isinstance(outcome, Verified)


def test_only_digest_subjects_are_digests():
    assert subjects.is_digest(subjects.digest_subject(HEBEI, BEIJING))
    assert not subjects.is_digest(subjects.subject(envelope_pb2.FLOW_INFORMATION_SHARE, HEBEI, BEIJING))
    assert not subjects.is_digest("jjj.referral.he.bj")


async def test_sharing_verifies_digests_without_keeping_them_and_indexes_them():
    from adapters.service.sharing import Sharing

    asked = []

    class RecordingGuard(Guard):
        def verify(self, message, *, read_once=False):
            asked.append((message.subject, read_once))
            return super().verify(message, read_once=read_once)

    guard = RecordingGuard(member=HEBEI, js=None, keys=REGISTRY, limits=SecuritySettings())
    sharing = Sharing(member=HEBEI, js=None, secret=b"s" * 32, signer=SIGNERS["hebei"], guard=guard)
    digest_subject = subjects.digest_subject(HEBEI, BEIJING)
    await sharing._on_share(_stored(digest_subject, sign(_digest_share(), SIGNERS["beijing"], now=T0), "JJJ_SHARES", 4))
    assert asked == [(digest_subject, True)]
    assert sharing.index.store.records_of("k")[0].case_id == "jjj:BJ:BJ1"
