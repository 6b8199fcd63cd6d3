"""Key rotation with an overlap: the old key is accepted while the overlap lasts, refused after; the new one at once."""

from __future__ import annotations

import time
from datetime import timedelta

from kernel.bus import subjects
from kernel.config import SecuritySettings
from kernel.security import envelopes as signed
from kernel.security.keys import init_keys, load_signer, private_key_path, rotate_key
from jjj.bus.v1 import envelope_pb2
from tests.conftest import SHARED, Federation
from tests.support.bus import Bus
from tests.support.relay import eventually, read_items, submit_request, take

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
OVERLAP_SECONDS = 3.0


def clone(real: envelope_pb2.Envelope, native_id: str) -> envelope_pb2.Envelope:
    """The real referral as another case of Beijing's (so the receiver takes it as new)."""
    envelope = envelope_pb2.Envelope()
    envelope.CopyFrom(real)
    envelope.ClearField("signature")
    case = envelope.referral.case
    case.native_id, case.case_id = native_id, f"jjj:BJ:{native_id}"
    envelope.envelope_id = subjects.case_envelope_id(case.case_id, envelope.flow, 1)
    envelope.sent_at.GetCurrentTime()
    return envelope


async def test_old_key_accepted_within_the_overlap_refused_after_and_the_new_key_accepted(settings, tmp_path):
    keys_dir = tmp_path / "rotating-keys"
    init_keys(keys_dir)
    federation = Federation(settings.model_copy(update={"security": SecuritySettings(keys_dir=keys_dir)}))
    bus = await Bus.connect(settings.nats_url)
    try:
        await federation.start("beijing", "hebei")
        hebei = federation.stub("hebei")
        await federation.stub("beijing").SubmitDocument(submit_request(SANHE))
        (real,) = await take(hebei, 1)

        old = load_signer(private_key_path(keys_dir, "beijing"), "beijing")
        new = rotate_key(keys_dir, "beijing", overlap=timedelta(seconds=OVERLAP_SECONDS))
        overlap_ends = time.time() + OVERLAP_SECONDS
        subject = "jjj.referral.he.bj"
        await bus.inject(subject, signed.sign(clone(real.envelope, "ROT-OLD-IN-OVERLAP"), old))
        await bus.inject(subject, signed.sign(clone(real.envelope, "ROT-NEW"), new))
        items = await take(hebei, 2)
        assert sorted(i.envelope.referral.case.native_id for i in items) == ["ROT-NEW", "ROT-OLD-IN-OVERLAP"]
        assert {i.envelope.signature.key_id for i in items} == {old.key_id, new.key_id}

        await eventually(lambda: _after(overlap_ends + 0.2), timeout=OVERLAP_SECONDS + 5)
        late = await bus.inject(subject, signed.sign(clone(real.envelope, "ROT-OLD-LATE"), old))

        async def refused():
            return next((d for d in await bus.dead_letters("he") if d.stream_sequence == late), None)

        letter = await eventually(refused)
        assert letter.reason == envelope_pb2.DEAD_LETTER_REASON_KEY_NOT_VALID and old.key_id in letter.detail
        await bus.inject(subject, signed.sign(clone(real.envelope, "ROT-NEW-LATE"), new))
        (item,), call = await read_items(hebei, count=1)
        assert item.envelope.referral.case.native_id == "ROT-NEW-LATE"  # the late old-key one never came
        call.cancel()
    finally:
        await bus.close()
        await federation.close()


async def _after(moment: float) -> bool:
    return time.time() > moment
