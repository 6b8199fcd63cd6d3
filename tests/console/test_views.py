"""What a role sees, masking, alerts: pure."""

from __future__ import annotations

from gateway.console.alerts import evaluate
from gateway.console.masking import envelope_view
from gateway.console.roles import Principal
from kernel.config import ConsoleAlertSettings
from kernel import jurisdictions
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

BJ, TJ, HE = (jurisdictions.by_name(name).enum for name in ("beijing", "tianjin", "hebei"))


def test_a_jurisdiction_operator_sees_only_what_touches_it():
    tianjin = Principal("wang", "jurisdiction", "tianjin")
    assert tianjin.sees_pair(BJ, TJ) and tianjin.sees_pair(TJ, HE)
    assert not tianjin.sees_pair(BJ, HE)
    assert not tianjin.sees_case({BJ, HE}) and tianjin.sees_case({BJ, HE, TJ})
    assert tianjin.sees_tokens("tj", "bj") and not tianjin.sees_tokens("he", "bj")
    assert tianjin.may_act and not tianjin.sees_personal_data


def test_federation_sees_all_and_the_auditor_reads_only():
    assert Principal("li", "federation").sees_case({BJ, HE}) and Principal("li", "federation").may_act
    auditor = Principal("zhou", "auditor")
    assert auditor.sees_case({BJ, HE}) and not auditor.may_act


def _referral() -> bytes:
    case = case_pb2.Case(case_id="jjj:BJ:BJ2026112400001234", native_id="BJ2026112400001234",
                         content="张伟反映：电话13800138000，身份证110105198503121234")
    case.requester.name, case.requester.phone, case.requester.id_number = "张伟", "+8613800138000", "110105198503121234"
    envelope = envelope_pb2.Envelope(envelope_id="jjj:BJ:BJ2026112400001234/referral/1", flow=envelope_pb2.FLOW_REFERRAL,
                                     referral=envelope_pb2.Referral(case=case))
    return envelope.SerializeToString()


def test_an_envelope_is_shown_masked_with_its_identifiers_readable():
    text = str(envelope_view(_referral()))
    assert "jjj:BJ:BJ2026112400001234" in text and "张*" in text
    for personal in ("张伟", "13800138000", "110105198503121234"):
        assert personal not in text
    assert "13800138000" in str(envelope_view(_referral(), personal_data=True))
    assert envelope_view(b"\xff\xff not protobuf") == {"unreadable": True, "bytes": 15}


def test_alerts_follow_the_thresholds():
    thresholds = ConsoleAlertSettings(inbox_pending=10, oldest_pending_seconds=60, deadline_wave_cases=2, dead_letters=1)
    quiet = {"member": "tianjin", "consumers": 3, "connected": True, "pending": 9, "oldest_pending_seconds": 59}
    assert evaluate(inboxes=[quiet], cases_due=1, dead_letters=[{"handled": True, "receiver": "tianjin"}],
                    certificates=[{"principal": "gateway", "days_left": 31}], thresholds=thresholds, warning_days=30) == []
    lagging = {**quiet, "pending": 10, "connected": False}
    alerts = evaluate(inboxes=[lagging], cases_due=2, dead_letters=[{"handled": False, "receiver": "tianjin"}],
                      certificates=[{"principal": "gateway", "days_left": 29.5}], thresholds=thresholds, warning_days=30)
    assert [alert.key for alert in alerts] == ["inbox-disconnected:tianjin", "inbox-lagging:tianjin", "deadline-wave",
                                               "dead-letters", "certificate:gateway"]
    assert alerts[3].members == ("tianjin",)
