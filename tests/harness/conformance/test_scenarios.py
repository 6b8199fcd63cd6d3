"""Scenario files: the shipped ones load, a mistake fails at load naming file and step; the report's table and JUnit."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.conformance.report import junit_xml, table
from harness.conformance.runner import Outcome, default_samples_dir
from harness.conformance.scenario import SCENARIOS_DIR, STEP_KEYS, load, load_all
from kernel.errors import ConfigurationError


def test_the_shipped_scenarios_cover_every_flow_and_every_shared_sample():
    shipped = load_all([SCENARIOS_DIR])
    member_set = load_all([SCENARIOS_DIR / "member"])
    kinds = {step.kind for scenario in [*shipped, *member_set] for step in scenario.steps}
    assert kinds == set(STEP_KEYS)  # every kind of step is used by some scenario
    assert "expect_submission" not in {step.kind for scenario in shipped for step in scenario.steps}
    samples = {step.args["sample"] for s in shipped for step in s.steps if "sample" in step.args}
    on_disk = {str(p.relative_to(default_samples_dir())) for p in default_samples_dir().glob("*/samples/*/*")}
    assert samples == on_disk
    assert any(step.args.get("transfer") for s in shipped for step in s.steps)
    assert not any(s.for_member for s in shipped)
    assert member_set and all(s.for_member for s in member_set)


def test_member_roles_choose_the_receiving_or_the_sending_set():
    from cli.conformance import member_scenarios

    receiving = load_all(member_scenarios("receiving"))
    sending = load_all(member_scenarios("sending"))
    both = load_all(member_scenarios("both"))
    assert sorted(s.id for s in both) == sorted(s.id for s in [*receiving, *sending])
    assert all(step.kind != "expect_submission" for s in receiving for step in s.steps)
    assert all(s.steps[0].kind == "expect_submission" for s in sending)


def test_member_scenarios_bind_to_the_member_under_test_and_the_others():
    (scenario, *_) = load_all([SCENARIOS_DIR / "member"])
    bound = scenario.bound("tianjin", ["beijing", "hebei"])
    submit = bound.steps[0].args
    assert submit["as"] == "beijing" and submit["generate"]["to"] == "tianjin"
    assert "$member" not in repr([s.args for s in bound.steps])


@pytest.mark.parametrize(("text", "mentions"), [
    ("id: x\nrequirement: r\nsteps:\n  - submitt: {as: beijing}\n", "step 1: unknown step 'submitt'"),
    ("id: x\nrequirement: r\nsteps:\n  - submit: {as: beijing}\n", "step 1 (submit): needs exactly one of 'sample', 'generate' and 'again'"),
    ("id: x\nrequirement: r\nsteps:\n  - step: {as: beijing, case: $c}\n", "step 1 (step): missing 'status'"),
    ("id: x\nrequirement: r\nsteps:\n  - expect_status: {at: beijing, case: $c, status: S, colour: red}\n",
     "unknown key 'colour'"),
    ("id: x\nsteps: []\n", "missing 'requirement'"),
])
def test_a_mistake_fails_at_load_naming_file_and_step(tmp_path: Path, text, mentions):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as raised:
        load(path)
    assert str(path) in str(raised.value) and mentions in str(raised.value)


def test_two_scenarios_with_one_id_are_refused(tmp_path: Path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("id: same\nrequirement: r\nsteps: []\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="'same' is in both"):
        load_all([tmp_path])


def test_table_and_junit_per_requirement(tmp_path: Path):
    path = tmp_path / "s.yaml"
    path.write_text("scenarios:\n"
                    "  - {id: one, requirement: shares reach their audience, steps: []}\n"
                    "  - {id: two, requirement: shares reach their audience, steps: []}\n"
                    "  - {id: three, requirement: referrals are delivered, steps: []}\n", encoding="utf-8")
    one, two, three = load(path)
    outcomes = [Outcome(one, True, 0.5), Outcome(two, False, 2.0, "step 1 (x): expected A; got B"), Outcome(three, True, 1.0)]
    text = table(outcomes)
    assert "FAIL  shares reach their audience" in text and "PASS  referrals are delivered" in text
    assert "step 1 (x): expected A; got B" in text
    assert "2/3 scenarios passed; 1/2 requirements met" in text
    junit_xml(outcomes, tmp_path / "out" / "junit.xml")
    suite = ET.parse(tmp_path / "out" / "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["two"].get("classname") == "shares reach their audience"
    assert cases["two"].find("failure").get("message") == "step 1 (x): expected A; got B"
    assert cases["one"].find("failure") is None


def test_each_run_reserves_its_own_block_of_case_numbers(tmp_path: Path):
    from cli.conformance import reserve_sequences

    assert reserve_sequences(tmp_path, 12) == 0
    assert reserve_sequences(tmp_path, 5) == 12
    assert reserve_sequences(tmp_path, 1) == 17
