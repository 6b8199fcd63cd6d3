"""Beijing's 12345 team: a work order about Yanjiao (Sanhe, Hebei) goes to Hebei, which signs for it,
handles it and replies; Beijing sees every step. Uses only the jjj-exchange pytest plugin."""

from pathlib import Path

import pytest

from harness.errors import Refused
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2

DATA = Path(__file__).parent / "data"


def test_a_work_order_about_yanjiao_goes_to_hebei_and_is_replied(jjj_beijing, jjj_hebei, jjj_harness):
    sent = jjj_beijing.submit(DATA / "work_order_yanjiao.json")  # no destination: competent by location
    (submission,) = sent.submissions
    assert submission.destination == case_pb2.JURISDICTION_HEBEI

    referral = jjj_hebei.expect_inbox(case_id=submission.case_id, flow="referral")
    # Hebei's system receives the case in its own format.
    assert referral.native.format == adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV

    jjj_hebei.step(submission.case_id, "signed", note="签收")
    jjj_beijing.expect_inbox(case_id=submission.case_id, status="received")
    jjj_hebei.step(submission.case_id, "in_progress")
    jjj_hebei.step(submission.case_id, "replied", note="已联系公交公司加装遮雨棚")
    jjj_beijing.expect_inbox(case_id=submission.case_id, status="replied")

    trail = jjj_harness.expect_status(submission.case_id, "replied")
    assert [case_pb2.Status.Name(entry.status) for entry in trail.trail] == [
        "STATUS_REFERRED", "STATUS_RECEIVED", "STATUS_IN_PROGRESS", "STATUS_REPLIED"]
    assert jjj_beijing.get_case(submission.case_id).case.status == case_pb2.STATUS_REPLIED


def test_a_work_order_without_its_number_is_refused_naming_the_field(jjj_beijing):
    with pytest.raises(Refused) as refused:
        jjj_beijing.submit(DATA / "work_order_without_number.json")
    assert refused.value.refusal.reason == "DOCUMENT_REJECTED"
    assert "gdbh" in [violation.field for violation in refused.value.refusal.violations]


def test_hebei_returns_a_case_with_its_reason(jjj_beijing, jjj_hebei):
    (submission,) = jjj_beijing.submit(DATA / "work_order_streetlights.json").submissions
    jjj_hebei.expect_inbox(case_id=submission.case_id, flow="referral")
    # Not signed for yet: a return is refused, naming what may come next.
    with pytest.raises(Refused) as refused:
        jjj_hebei.step(submission.case_id, "returned", reason="不属于本地管辖")
    assert refused.value.refusal.reason == "TRANSITION_REFUSED"
    assert "STATUS_RECEIVED" in refused.value.refusal.message

    jjj_hebei.step(submission.case_id, "signed")
    with pytest.raises(Refused) as refused:
        jjj_hebei.step(submission.case_id, "returned")  # a return needs a reason
    assert refused.value.refusal.code == "FAILED_PRECONDITION"
    assert "needs a reason" in refused.value.refusal.message
    with pytest.raises(Refused) as refused:  # and a coded reason (退单), schemas/lifecycle.yaml return_reasons
        jjj_hebei.step(submission.case_id, "returned", reason="路灯属京哈高速管理处，非三河市管辖")
    assert "coded return reason" in refused.value.refusal.message
    jjj_hebei.step(submission.case_id, "returned", reason="路灯属京哈高速管理处，非三河市管辖", return_reason="not_ours")
    returned = jjj_beijing.expect_inbox(case_id=submission.case_id, status="returned")
    assert returned.envelope.status_update.reason == "路灯属京哈高速管理处，非三河市管辖"
    assert returned.envelope.status_update.return_reason == case_pb2.RETURN_REASON_NOT_OURS
