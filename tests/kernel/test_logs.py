"""Log lines: JSON off a TTY, one canonical line per relayed message, never a citizen's personal data."""

from __future__ import annotations

import json

import pytest
import structlog

from adapters.beijing import CODEC as BEIJING
from adapters.service.inbox import _log_relayed
from kernel import logs
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from tests.conftest import SHARED

CHAOYANG = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_complaint_chaoyang.json"


@pytest.fixture(autouse=True)
def restore_logging():
    yield
    structlog.reset_defaults()


def test_the_canonical_relayed_line_has_ids_and_timings_only(capsys):
    logs.configure("json", "info")
    (case,), _ = BEIJING.decode_all(CHAOYANG.read_bytes())
    envelope = envelope_pb2.Envelope(envelope_id=f"{case.case_id}/referral/1", flow=envelope_pb2.FLOW_REFERRAL,
                                     sender=case_pb2.JURISDICTION_BEIJING, destination=case_pb2.JURISDICTION_HEBEI,
                                     referral=envelope_pb2.Referral(case=case, attempt=1))
    envelope.sent_at.GetCurrentTime()
    _log_relayed(envelope, "hebei", 1)
    out = capsys.readouterr().out
    (line,) = [json.loads(l) for l in out.splitlines() if '"relayed"' in l]
    assert line["event"] == "relayed"
    assert line["case_id"] == case.case_id and line["flow"] == "referral"
    assert (line["from"], line["to"]) == ("beijing", "hebei")
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    for personal in ("张伟", "110105198503121234", "13800138000"):
        assert personal not in out


def test_personal_keys_are_redacted_whatever_logs_them(capsys):
    logs.configure("json", "info")
    structlog.get_logger("t").info("oops", phone="13800138000", id_number="110105198503121234", name="张伟", case_id="x")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["phone"] == line["id_number"] == line["name"] == "[redacted]"
    assert line["case_id"] == "x"
