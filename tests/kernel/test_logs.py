"""Log lines: JSON off a TTY, one canonical line per relayed message, never a citizen's personal data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

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
    # The project's set-up again, not structlog's defaults: those print a rich traceback with its local
    # variables (a citizen's data) for every later test of this process (seen under pytest-xdist).
    logs.configure("auto")


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


WRITER = """
import sys
import structlog
from kernel import logs
logs.configure("json", "info")
log = structlog.get_logger()
for seq in range({count}):
    log.info("load", writer=sys.argv[1], seq=seq, padding="x" * {padding})
"""


def test_processes_sharing_one_stdout_never_run_their_records_together():
    """Each record is one write: several processes logging at once to one pipe still give one record per line.

    Unbuffered (as in a container, PYTHONUNBUFFERED=1) print() would write a message and its
    newline separately and let another process's record in between. Records stay under
    PIPE_BUF (4 KiB), the size up to which a pipe keeps concurrent writes whole.
    """
    writers, count = 4, 400
    read_end, write_end = os.pipe()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    script = WRITER.format(count=count, padding=800)
    processes = [subprocess.Popen([sys.executable, "-c", script, str(writer)], stdout=write_end, env=env)
                 for writer in range(writers)]
    os.close(write_end)
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: os.read(read_end, 65536), b"")))
    reader.start()
    assert [process.wait(timeout=60) for process in processes] == [0] * writers
    reader.join(30)
    os.close(read_end)

    lines = b"".join(chunks).decode("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == writers * count
    for writer in range(writers):
        assert [r["seq"] for r in records if r["writer"] == str(writer)] == list(range(count))


def test_personal_numbers_inside_any_value_are_masked_and_personal_keys_dropped():
    from kernel.logs import redact_personal_data

    event = {
        "event": "document_rejected",
        "reason": "lxdh: '139-1234-5678' is not a phone; zjhm 11010519850312123X does not check; tel 010-62345678",
        "detail": {"name": "张三", "note": "回拨 +8613800138000 或 8613912345678"},
        "items": ["13512345678", "case jjj:BJ:BJ2026112400002001 seq 12345678901234"],
        "name": "李四",
        "latency_ms": 12.5,
    }
    masked = redact_personal_data(None, "info", dict(event))
    assert masked["reason"] == "lxdh: '[phone]' is not a phone; zjhm [id-number] does not check; tel [phone]"
    assert masked["detail"] == {"name": "[redacted]", "note": "回拨 [phone] 或 [phone]"}
    assert masked["items"] == ["[phone]", "case jjj:BJ:BJ2026112400002001 seq 12345678901234"]
    assert masked["name"] == "[redacted]" and masked["latency_ms"] == 12.5 and masked["event"] == "document_rejected"


def test_an_exception_text_is_masked_in_the_rendered_line(capsys):
    import json

    import structlog

    from kernel.logs import configure

    configure("json")
    try:
        raise ValueError("bad phone 13912345678 for 110105198503121234")
    except ValueError:
        structlog.get_logger("test").exception("failed")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "13912345678" not in line["exception"] and "110105198503121234" not in line["exception"]
    assert "bad phone [phone] for [id-number]" in line["exception"]
