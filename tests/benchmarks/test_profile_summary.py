"""The profiler's summary of py-spy's collapsed stacks: own samples per frame, the project's frames inclusive."""

from __future__ import annotations

from benchmarks.profile_load import summarise
from benchmarks.work_kinds import OTHER, by_kind, kind_of, samples_by_kind


def test_own_and_inclusive_shares_are_counted_from_collapsed_stacks(tmp_path):
    collapsed = tmp_path / "beijing.txt"
    collapsed.write_text(
        "main (cli/main.py:1);submit (adapters/service/relay.py:9);commit (adapters/service/outbox.py:5) 6\n"
        "main (cli/main.py:1);select (selectors.py:468) 4\n", encoding="utf-8")
    lines = summarise(collapsed, top=5)
    assert lines[0] == "  10 samples; most of their own:"
    assert "   60.0%  commit (adapters/service/outbox.py:5)" in lines[1]
    inclusive = lines[lines.index("  the project's own functions, inclusive:") + 1:]
    assert inclusive[0].endswith("main (cli/main.py:1)") and "100.0%" in inclusive[0]
    assert not any("selectors.py" in line for line in inclusive)


def test_an_empty_profile_says_so(tmp_path):
    empty = tmp_path / "hebei.txt"
    empty.write_text("", encoding="utf-8")
    assert summarise(empty, top=5) == ["  (no samples)"]


# -- by kind of work (benchmarks.work_kinds) --------------------------------------------------

def test_each_sample_counts_for_the_kind_of_its_innermost_frame():
    assert kind_of("crypto_sign_open (nacl/bindings/crypto_sign.py:103)") == "signatures"
    assert kind_of("Client._send_publish (nats/aio/client.py:1014)") == "NATS client"
    assert kind_of("Handle._run (asyncio/events.py:80)") == "event loop, and native callbacks"
    assert kind_of("to_row (adapters/hebei/from_common.py:120)") == "mapping and codecs"
    assert kind_of("step_of (kernel/domain/casestate.py:131)") == "domain rules"
    assert kind_of("instant_span (kernel/observability/tracing.py:234)") == "tracing"
    assert kind_of("savepoint (gateway/projection/store.py:155)").startswith("service code")
    assert kind_of("__init__ (<string>:3)") == OTHER


def test_the_kinds_share_out_the_process_cpu_per_referral(tmp_path):
    collapsed = tmp_path / "gateway.txt"
    collapsed.write_text(
        "main (cli/main.py:1);verify (kernel/security/signing.py:96);crypto_sign_open (nacl/bindings/crypto_sign.py:103) 3\n"
        "main (cli/main.py:1);apply (gateway/projection/store.py:226) 1\n"
        "a line that is no stack\n", encoding="utf-8")
    counts = samples_by_kind(collapsed)
    assert counts == {"signatures": 3, "service code: records, inbox, projection, audit, bus I/O": 1}
    lines = by_kind(collapsed, cpu_ms_per_referral=0.8)
    assert lines[0] == "  by kind of work (0.800 ms CPU per referral):"
    assert lines[1] == "     75.0%     600 µs  signatures"
    assert lines[2].endswith("200 µs  service code: records, inbox, projection, audit, bus I/O")


def test_a_profile_without_samples_has_no_kinds(tmp_path):
    empty = tmp_path / "hebei.txt"
    empty.write_text("", encoding="utf-8")
    assert by_kind(empty, 1.0) == ["  (no samples)"]
