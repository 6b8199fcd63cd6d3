"""`jjj map` and `jjj route`: the command-line contract member engineers and harnesses depend on."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.expected import JURISDICTIONS, load_expected

EXPECTED = load_expected()
JURISDICTION_OF = {"beijing": "beijing", "tianjin": "tianjin", "hebei": "hebei"}


def jjj(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, timeout=60)


def valid_samples() -> list[str]:
    return sorted(k for k in EXPECTED if "/valid/" in k)


def invalid_samples() -> list[str]:
    return sorted(k for k in EXPECTED if "/invalid/" in k)


@pytest.mark.parametrize("sample", valid_samples())
def test_map_from_prints_one_canonical_case_per_line(sample):
    jurisdiction = sample.split("/")[0]
    result = jjj("map", "--from", jurisdiction, str(JURISDICTIONS / sample))
    assert result.returncode == 0, result.stderr
    cases = [json.loads(line) for line in result.stdout.splitlines()]
    checks = EXPECTED[sample]
    checks = checks if isinstance(checks, list) else [checks]
    want_count = checks[0].get("batchCount", len(checks))
    assert len(cases) == want_count
    for case, check in zip(cases, checks):
        if "caseId" in check:
            assert case["caseId"] == check["caseId"]
        assert case["caseId"].startswith("jjj:")
    assert result.stderr == ""


@pytest.mark.parametrize("sample", invalid_samples())
def test_map_from_names_the_rejection_on_stderr_and_exits_1(sample):
    jurisdiction = sample.split("/")[0]
    result = jjj("map", "--from", jurisdiction, str(JURISDICTIONS / sample))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert EXPECTED[sample]["errorMentions"].lower() in result.stderr.lower()
    assert sample.split("/")[-1] in result.stderr


@pytest.mark.parametrize("sample", [k for k in valid_samples() if "routeTo" in str(EXPECTED[k])])
def test_route_prints_the_competent_jurisdiction(sample):
    jurisdiction = sample.split("/")[0]
    result = jjj("route", "--from", jurisdiction, str(JURISDICTIONS / sample))
    assert result.returncode == 0, result.stderr
    checks = EXPECTED[sample] if isinstance(EXPECTED[sample], list) else [EXPECTED[sample]]
    lines = dict(line.split() for line in result.stdout.splitlines())
    for check in checks:
        if "routeTo" in check:
            assert lines[check["caseId"]] == check["routeTo"]


@pytest.mark.parametrize("target,marker", [("beijing", b'"gdbh"'), ("tianjin", b"<WorkOrders"), ("hebei", "件号".encode("gb18030"))])
def test_map_to_renders_cases_of_any_origin_as_one_native_document(tmp_path, target, marker):
    lines = []
    for jurisdiction, sample in [("beijing", "beijing/samples/valid/bj_rx_transfer_sanhe.json"),
                                 ("tianjin", "tianjin/samples/valid/tj_complaint_heping.xml"),
                                 ("hebei", "hebei/samples/valid/hb_mixed_four.csv")]:
        lines += jjj("map", "--from", jurisdiction, str(JURISDICTIONS / sample)).stdout.splitlines()
    source = tmp_path / "cases.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / f"out.{target}"
    result = jjj("map", "--to", target, str(source), "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert marker in output.read_bytes()


def test_map_round_trip_of_own_cases_through_the_cli(tmp_path):
    sample = JURISDICTIONS / "hebei/samples/valid/hb_mixed_four.csv"
    first = jjj("map", "--from", "hebei", str(sample)).stdout
    (tmp_path / "cases.jsonl").write_text(first, encoding="utf-8")
    assert jjj("map", "--to", "hebei", str(tmp_path / "cases.jsonl"), "--output", str(tmp_path / "again.csv")).returncode == 0
    second = jjj("map", "--from", "hebei", str(tmp_path / "again.csv")).stdout
    strip = lambda text: [{k: v for k, v in json.loads(l).items() if k != "provenance"} for l in text.splitlines()]
    assert strip(second) == strip(first)


def test_usage_errors_exit_2_without_traceback(tmp_path):
    for args in (["map", "--from", "shanghai", "x"], ["map", "--from", "beijing", str(tmp_path / "missing.json")],
                 ["map", "x"], ["route", str(tmp_path)]):
        result = jjj(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr


def test_a_bad_jsonl_line_is_rejected_with_its_line_number(tmp_path):
    source = tmp_path / "cases.jsonl"
    source.write_text('{"caseId": "jjj:BJ:BJ2026112400002001"}\nnot json\n', encoding="utf-8")
    result = jjj("map", "--to", "beijing", str(source), "--output", str(tmp_path / "out.json"))
    assert result.returncode == 1
    assert "row 2" in result.stderr and "Traceback" not in result.stderr


def test_quarantine_lists_and_shows_rejected_documents(tmp_path):
    import os

    from kernel.codec import Rejected
    from adapters.service.quarantine import Quarantine

    kept = Quarantine(tmp_path / "q", "hebei").keep(Rejected("件号", "not a Hebei id", row=3, raw=b"row,3"),
                                                    filename="daily.csv", document=b"whole")
    env = {**os.environ, "JJJ_QUARANTINE_DIR": str(tmp_path / "q")}
    run = lambda *a: subprocess.run([sys.executable, "-m", "cli.main", "quarantine", *a], capture_output=True,
                                    text=True, env=env, timeout=60)
    listed = run("list")
    assert listed.returncode == 0 and kept in listed.stdout and "row 3: 件号: not a Hebei id" in listed.stdout
    shown = run("show", kept)
    assert shown.returncode == 0 and '"filename": "daily.csv"' in shown.stdout
    assert run("show", "nope").returncode == 2
