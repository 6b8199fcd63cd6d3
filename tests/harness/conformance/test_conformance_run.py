"""`jjj conformance run` against a real `jjj up`: every shipped scenario passes and JUnit XML counts them;
a wrong expectation fails naming the step, what was expected and what came; and a member's own
system (here `jjj sim --only hebei` standing in for it) passes the member set, as receiver and as sender."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from harness.conformance.scenario import SCENARIOS_DIR, load_all
from harness.federation import LocalFederation, jjj_command

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    running = LocalFederation.start(tmp_path_factory.mktemp("conformance") / "var",
                                    extra_env={"JJJ_DEADLINE_POLL_SECONDS": "1"})
    yield running
    running.stop()


def conformance(federation, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([*jjj_command(), "conformance", "run", "--state", str(federation.state_file), *args],
                          env=federation.env, capture_output=True, text=True, timeout=timeout)


def junit(path) -> ET.Element:
    return ET.parse(path).getroot().find("testsuite")


def test_every_shipped_scenario_passes_and_junit_counts_them(federation, tmp_path):
    report = tmp_path / "junit.xml"
    done = conformance(federation, "--junit", str(report))
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    shipped = load_all([SCENARIOS_DIR])
    suite = junit(report)
    assert suite.get("tests") == str(len(shipped)) and suite.get("failures") == "0"
    assert sorted(case.get("name") for case in suite.iter("testcase")) == sorted(s.id for s in shipped)
    for requirement in {s.requirement for s in shipped}:
        assert f"PASS  {requirement}" in done.stdout
    assert f"{len(shipped)}/{len(shipped)} scenarios passed" in done.stdout


def test_a_second_run_against_the_same_federation_passes_too(federation, tmp_path):
    # its generated cases are new ones (the numbering goes on from the first run's), its samples duplicates
    done = conformance(federation, "--junit", str(tmp_path / "again.xml"))
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert (federation.data_dir / "simulated" / "next-sequence").is_file()


WRONG = """\
id: wrong-expectation
requirement: a deliberately wrong expectation is reported readably
timeout: 2
steps:
  - submit: {as: beijing, generate: {to: hebei}, save: case}
  - expect_status: {at: beijing, case: $case, status: STATUS_CLOSED}
"""


def test_a_wrong_expectation_fails_naming_the_step_the_expectation_and_what_came(federation, tmp_path):
    scenario = tmp_path / "wrong.yaml"
    scenario.write_text(WRONG, encoding="utf-8")
    report = tmp_path / "junit.xml"
    done = conformance(federation, str(scenario), "--junit", str(report))
    assert done.returncode == 1, done.stdout + done.stderr[-2000:]
    assert "FAIL  a deliberately wrong expectation is reported readably" in done.stdout
    message = ("step 2 (expect_status at: beijing, case: $case, status: STATUS_CLOSED): expected STATUS_CLOSED at "
               "beijing; got STATUS_REFERRED, holder JURISDICTION_HEBEI after 2s")
    assert message in done.stdout
    suite = junit(report)
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")
    (failure,) = suite.iter("failure")
    assert failure.get("message") == message


def test_a_members_own_system_passes_the_member_set_as_receiver_and_sender(federation, tmp_path):
    # `jjj sim --only hebei` stands in for Hebei's system: it submits cases of its own, reads and
    # acknowledges its inbox, signs, handles and replies what is referred to it, follows up and closes.
    policy = tmp_path / "policy.yaml"
    policy.write_text("receiving:\n  return_probability: 0\n  sign_delay: {min: 0, max: 0.1}\n"
                      "  decide_delay: {min: 0, max: 0.1}\n  handle_delay: {min: 0, max: 0.1}\n"
                      "  reply_delay: {min: 0, max: 0.1}\n", encoding="utf-8")
    hebei_system = subprocess.Popen([*jjj_command(), "sim", "--only", "hebei", "--rate", "0.5", "--policy", str(policy),
                                     "--state", str(federation.state_file)], env=federation.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        report = tmp_path / "junit.xml"
        hebei_adapter = federation.state.adapter("hebei").address
        done = conformance(federation, "--member", "hebei", "--target", hebei_adapter, "--junit", str(report))
        assert done.returncode == 0, done.stdout + done.stderr[-3000:]
        member_set = load_all([SCENARIOS_DIR / "member"])
        assert {"expect_submission", "expect_receipt"} <= {step.kind for s in member_set for step in s.steps}
        assert junit(report).get("tests") == str(len(member_set)) and junit(report).get("failures") == "0"
        assert "waiting up to 120s for a referral or transfer from hebei's system to beijing or tianjin" in done.stderr
    finally:
        hebei_system.terminate()
        _, errors = hebei_system.communicate(timeout=30)
    assert "SIMULATED" in errors
    assert hebei_system.returncode == 0, errors[-2000:]


SILENT_SENDER = """\
id: silent-sender
requirement: the member's system submits a case
timeout: 2
steps:
  - expect_submission: {from: $member, save: case, instruct: "submit a case located in $other"}
"""


def test_a_silent_member_system_fails_saying_what_it_should_do_and_a_dead_target_is_named(federation, tmp_path):
    scenario = tmp_path / "silent.yaml"
    scenario.write_text(SILENT_SENDER, encoding="utf-8")
    done = conformance(federation, str(scenario), "--member", "tianjin", "--junit", str(tmp_path / "s.xml"), timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr[-2000:]
    assert ("expected a referral or transfer from tianjin's system to beijing or hebei; got none after 2s; "
            "on tianjin's side: submit a case located in beijing") in done.stdout
    from kernel.ports import free_port

    dead = conformance(federation, str(scenario), "--member", "tianjin", "--target", f"127.0.0.1:{free_port()}",
                       "--junit", str(tmp_path / "d.xml"), timeout=60)
    assert dead.returncode == 3, dead.stdout + dead.stderr[-2000:]
    assert "nobody answers at --target 127.0.0.1:" in dead.stderr and "tianjin's adapter" in dead.stderr


def test_a_scenario_for_one_member_needs_member(federation, tmp_path):
    done = conformance(federation, str(SCENARIOS_DIR / "member"), "--junit", str(tmp_path / "x.xml"), timeout=60)
    assert done.returncode == 2
    assert "pass --member J" in done.stderr
    print(sys.version, file=sys.stderr)
