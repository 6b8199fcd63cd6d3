"""An envelope is believed only on a subject that names the same sender and destination."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from kernel import jurisdictions
from kernel.bus import subjects
from kernel.bus.envelopes import subject_mismatch
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

MEMBERS = jurisdictions.members()
FLOWS = [route.flow for route in subjects.FLOW_ROUTES]


def envelope(sender: int, destination: int, flow: int = envelope_pb2.FLOW_REFERRAL) -> envelope_pb2.Envelope:
    return envelope_pb2.Envelope(envelope_id="e", flow=flow, sender=sender, destination=destination)


@given(st.sampled_from(MEMBERS), st.sampled_from(MEMBERS), st.sampled_from(FLOWS))
def test_what_the_subject_says_is_believed(sender, destination, flow):
    assert subject_mismatch(subjects.subject(flow, destination, sender), envelope(sender.enum, destination.enum, flow)) is None
    assert subject_mismatch(subjects.digest_subject(destination, sender), envelope(sender.enum, destination.enum)) is None


@given(st.sampled_from(MEMBERS), st.sampled_from(MEMBERS), st.sampled_from(MEMBERS), st.sampled_from(FLOWS))
def test_another_sender_or_destination_in_the_envelope_is_refused(sender, destination, claimed, flow):
    subject = subjects.subject(flow, destination, sender)
    if claimed != sender:
        assert "sender" in subject_mismatch(subject, envelope(claimed.enum, destination.enum, flow))
    if claimed != destination:
        assert "destination" in subject_mismatch(subject, envelope(sender.enum, claimed.enum, flow))


def test_the_federation_sends_as_nobody_and_only_on_fed():
    beijing = jurisdictions.by_name("beijing")
    notice = envelope(case_pb2.JURISDICTION_UNSPECIFIED, beijing.enum, envelope_pb2.FLOW_INFORMATION_SHARE)
    assert subject_mismatch("jjj.share.bj.fed", notice) is None
    assert subject_mismatch("jjj.share.bj.tj", notice) is not None
    assert subject_mismatch("jjj.share.bj.fed", envelope(jurisdictions.by_name("tianjin").enum, beijing.enum)) is not None


@pytest.mark.parametrize("subject", ["jjj.referral.bj", "jjj.nonsense.bj.tj", "jjj.referral.sh.tj", "jjj.referral.bj.sh"])
def test_subjects_outside_the_layout_are_refused(subject):
    assert subject_mismatch(subject, envelope(case_pb2.JURISDICTION_TIANJIN, case_pb2.JURISDICTION_BEIJING)) is not None
