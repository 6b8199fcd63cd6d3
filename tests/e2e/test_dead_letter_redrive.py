"""Dead letters redriven by the operator (kernel.bus.deadletters) on a real nats-server, and a poison
message that a real adapter keeps refusing: each refusal carries the replay count, and redrives stop."""

from __future__ import annotations

import pytest

from kernel import jurisdictions
from kernel.bus import jetstream, subjects
from kernel.bus.deadletters import REPLAY_HEADER, DeadLetters
from kernel.errors import DeadLetterNotFound, RedriveRefused
from tests.support.bus import Bus
from tests.support.relay import eventually
from tests.support.secure import connect_as
from jjj.bus.v1 import envelope_pb2

TIANJIN = jurisdictions.by_name("tianjin")


async def _letter(js, data: bytes, *, replay_count: int = 0, sequence: int = 1) -> int:
    letter = envelope_pb2.DeadLetter(envelope=data, subject="jjj.referral.tj.bj", reason=envelope_pb2.DEAD_LETTER_REASON_MALFORMED,
                                     receiver=TIANJIN.enum, delivery_count=1, replay_count=replay_count, envelope_id="x/referral/1")
    ack = await jetstream.publish_bytes(js, subjects.dead_letter_subject(TIANJIN, "bj"), letter.SerializeToString(),
                                        msg_id=f"dead/tj/test/{sequence}", content_type="application/x-protobuf")
    return ack.seq


async def test_a_redrive_publishes_the_bytes_again_under_a_fresh_id_once(nats_server, pki_layout):
    nc = await connect_as(nats_server.url, pki_layout)
    bus = await Bus.connect(nats_server.url)
    try:
        js = nc.jetstream()
        letters = DeadLetters(js, max_replays=3)
        first = await _letter(js, b"same bytes", sequence=1)
        second = await _letter(js, b"same bytes", sequence=2)
        done = await letters.redrive(first, by="li", reason="key registered")
        assert (done.action, done.by, done.replay_count) == ("redriven", "li", 1)
        # The same bytes again from another letter: not dropped as a duplicate.
        await letters.redrive(second, by="li", reason="again")
        stored = [m for m in await bus.stored("JJJ_REFERRALS") if m.subject == "jjj.referral.tj.bj"]
        assert [m.data for m in stored] == [b"same bytes", b"same bytes"]
        assert [m.headers[REPLAY_HEADER] for m in stored] == ["1", "1"]
        assert len({m.headers["Nats-Msg-Id"] for m in stored}) == 2
        with pytest.raises(RedriveRefused, match="already redriven by li"):
            await letters.redrive(first, by="wang", reason="twice")
        listed = {letter.sequence: letter for letter in await letters.list()}
        assert listed[first].action.reason == "key registered" and listed[first].handled
        assert await letters.list(include_handled=False) == []
        with pytest.raises(DeadLetterNotFound):
            await letters.get(9999)
    finally:
        await bus.close()
        await nc.close()


async def test_discard_marks_the_letter_handled(nats_server, pki_layout):
    nc = await connect_as(nats_server.url, pki_layout)
    try:
        letters = DeadLetters(nc.jetstream())
        sequence = await _letter(nc.jetstream(), b"junk")
        done = await letters.discard(sequence, by="li", reason="test data")
        assert done.action == "discarded"
        with pytest.raises(RedriveRefused, match="already discarded"):
            await letters.redrive(sequence, by="li", reason="changed my mind")
    finally:
        await nc.close()


async def test_a_poison_message_refused_each_time_stops_at_the_replay_limit(federation, nats_server, pki_layout):
    await federation.start("tianjin")
    nc = await connect_as(nats_server.url, pki_layout)
    bus = await Bus.connect(nats_server.url)
    try:
        js = nc.jetstream()
        letters = DeadLetters(js, max_replays=2)
        sequence = await _letter(js, b"\x08\xff not an envelope")
        for expected in (1, 2):
            await letters.redrive(sequence, by="li", reason=f"try {expected}")

            async def refused_again():
                found = [m for m in await bus.stored(subjects.DEAD_LETTER_STREAM) if m.seq > sequence]
                return found[-1] if found else None

            message = await eventually(refused_again, timeout=20)
            again = envelope_pb2.DeadLetter.FromString(message.data)
            assert again.replay_count == expected  # the guard read the redrive's Jjj-Replay-Count
            assert again.reason == envelope_pb2.DEAD_LETTER_REASON_MALFORMED
            sequence = message.seq
        with pytest.raises(RedriveRefused, match="redriven 2 times already"):
            await letters.redrive(sequence, by="li", reason="once more")
    finally:
        await bus.close()
        await nc.close()
