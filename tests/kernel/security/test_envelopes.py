"""Signed envelopes: what a receiver accepts, and why it refuses the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel import jurisdictions
from kernel.security.envelopes import Reason, Refusal, Verified, sign, signed_bytes, verify_message
from kernel.security.keys import KeyEntry, KeyRegistry
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c
from tests.kernel.security.support import REGISTRY, SIGNERS, T0, federation_notice, referral

HEBEI = jurisdictions.by_name("hebei")
SUBJECT = "jjj.referral.he.bj"
AT = T0 + timedelta(seconds=1)


def accepted(data: bytes, subject: str = SUBJECT, *, receiver=HEBEI, registry=REGISTRY, at=AT):
    return verify_message(data, subject, registry, receiver=receiver, published_at=at)


def reason(outcome) -> str:
    assert isinstance(outcome, Refusal), outcome
    return outcome.reason_name


def test_a_signed_envelope_verifies_and_parses_back_to_what_was_signed():
    envelope = referral()
    data = sign(envelope, SIGNERS["beijing"], now=T0)
    outcome = accepted(data)
    assert isinstance(outcome, Verified) and outcome.key.owner == "beijing"
    assert outcome.envelope == envelope  # the appended value merges into the signature field
    assert outcome.envelope.signature.key_id == SIGNERS["beijing"].key_id
    assert outcome.envelope.signature.signed_at.ToDatetime().replace(tzinfo=T0.tzinfo) == T0
    # The wire bytes are the signed bytes plus the value: re-serializing without it gives what was signed.
    assert data.startswith(signed_bytes(outcome.envelope))


@given(st.data())
def test_any_single_changed_byte_is_refused(draw):
    data = sign(referral(), SIGNERS["beijing"], now=T0)
    index = draw.draw(st.integers(0, len(data) - 1))
    changed = data[:index] + bytes([data[index] ^ draw.draw(st.integers(1, 255))]) + data[index + 1:]
    assert reason(accepted(changed)) in {"DEAD_LETTER_REASON_BAD_SIGNATURE", "DEAD_LETTER_REASON_MALFORMED",
                                         "DEAD_LETTER_REASON_UNSIGNED", "DEAD_LETTER_REASON_UNKNOWN_KEY",
                                         "DEAD_LETTER_REASON_SENDER_MISMATCH", "DEAD_LETTER_REASON_KEY_NOT_VALID"}


def test_a_changed_field_of_a_parsed_envelope_breaks_the_signature():
    envelope = referral()
    sign(envelope, SIGNERS["beijing"], now=T0)
    envelope.referral.case.title = "改过的标题"
    assert reason(accepted(envelope.SerializeToString())) == "DEAD_LETTER_REASON_BAD_SIGNATURE"


def test_the_signed_time_and_key_id_are_covered_by_the_signature():
    envelope = referral()
    sign(envelope, SIGNERS["beijing"], now=T0)
    envelope.signature.signed_at.FromDatetime(T0 - timedelta(days=3))
    assert reason(accepted(envelope.SerializeToString())) == "DEAD_LETTER_REASON_BAD_SIGNATURE"


def test_an_unsigned_envelope_and_an_unknown_key_are_refused():
    assert reason(accepted(referral().SerializeToString())) == "DEAD_LETTER_REASON_UNSIGNED"
    stranger = SIGNERS["beijing"].generate("beijing")
    assert reason(accepted(sign(referral(), stranger, now=T0))) == "DEAD_LETTER_REASON_UNKNOWN_KEY"
    assert reason(accepted(b"\xff\xff not protobuf")) == "DEAD_LETTER_REASON_MALFORMED"


def test_an_envelope_signed_by_another_jurisdictions_key_is_refused_as_a_sender_mismatch():
    outcome = accepted(sign(referral(), SIGNERS["tianjin"], now=T0))
    assert reason(outcome) == "DEAD_LETTER_REASON_SENDER_MISMATCH"
    assert "tianjin" in outcome.detail and "beijing" in outcome.detail


@pytest.mark.parametrize("subject", ["jjj.referral.he.tj", "jjj.status.he.bj", "jjj.referral.bj.bj", "jjj.referral.he"])
def test_a_subject_that_disagrees_with_the_envelope_is_refused(subject):
    assert reason(accepted(sign(referral(), SIGNERS["beijing"], now=T0), subject)) == "DEAD_LETTER_REASON_SENDER_MISMATCH"


def test_a_message_for_another_receiver_is_refused_even_on_its_own_subject():
    data = sign(referral(destination=c.JURISDICTION_TIANJIN), SIGNERS["beijing"], now=T0)
    assert reason(accepted(data, "jjj.referral.tj.bj")) == "DEAD_LETTER_REASON_SENDER_MISMATCH"
    assert isinstance(accepted(data, "jjj.referral.tj.bj", receiver=None), Verified)  # the gateway names no receiver


def test_federation_notices_need_the_federation_key_and_subject():
    assert isinstance(accepted(sign(federation_notice(), SIGNERS["federation"], now=T0), "jjj.share.he.fed"), Verified)
    assert reason(accepted(sign(federation_notice(), SIGNERS["beijing"], now=T0), "jjj.share.he.fed")) \
        == "DEAD_LETTER_REASON_SENDER_MISMATCH"
    assert reason(accepted(sign(federation_notice(), SIGNERS["federation"], now=T0), "jjj.share.he.bj")) \
        == "DEAD_LETTER_REASON_SENDER_MISMATCH"


def test_a_key_is_accepted_within_its_validity_as_the_bus_timed_the_message():
    beijing = SIGNERS["beijing"]
    entry = KeyEntry.for_signer(beijing, T0, valid_until=T0 + timedelta(hours=1))
    registry = KeyRegistry((entry,))
    data = sign(referral(), beijing, now=T0)
    assert isinstance(accepted(data, registry=registry, at=T0 + timedelta(minutes=59)), Verified)
    assert reason(accepted(data, registry=registry, at=T0 + timedelta(hours=1))) == "DEAD_LETTER_REASON_KEY_NOT_VALID"
    assert reason(accepted(data, registry=registry, at=T0 - timedelta(seconds=1))) == "DEAD_LETTER_REASON_KEY_NOT_VALID"
    # Without the bus's time (a plain message), the signer's time decides.
    assert isinstance(accepted(data, registry=registry, at=None), Verified)


def test_every_reason_a_receiver_gives_is_a_named_dead_letter_reason():
    names = set(Reason.keys())
    assert {"DEAD_LETTER_REASON_UNSIGNED", "DEAD_LETTER_REASON_BAD_SIGNATURE", "DEAD_LETTER_REASON_NOT_ALLOWED",
            "DEAD_LETTER_REASON_ILLEGAL_STEP"} <= names
    assert envelope_pb2.Envelope.DESCRIPTOR.fields_by_name["signature"].number == 20
