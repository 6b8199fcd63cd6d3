"""A conformance run's results: a pass/fail table per requirement, and JUnit XML for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from harness.conformance.runner import Outcome


def table(outcomes: list[Outcome]) -> str:
    """One block per requirement: PASS only when every scenario checking it passed."""
    by_requirement: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_requirement[outcome.scenario.requirement].append(outcome)
    width = max((len(o.scenario.id) for o in outcomes), default=10)
    lines = []
    for requirement, results in by_requirement.items():
        verdict = "PASS" if all(o.passed for o in results) else "FAIL"
        lines.append(f"{verdict}  {requirement}")
        for o in results:
            lines.append(f"    {'ok  ' if o.passed else 'FAIL'} {o.scenario.id:<{width}} {o.seconds:6.1f}s")
            if not o.passed:
                lines.append(f"         {o.failure}")
    passed = sum(o.passed for o in outcomes)
    met = sum(all(o.passed for o in results) for results in by_requirement.values())
    lines.append(f"{passed}/{len(outcomes)} scenarios passed; {met}/{len(by_requirement)} requirements met")
    return "\n".join(lines)


def junit_xml(outcomes: list[Outcome], path: Path, *, suite: str = "jjj-conformance") -> None:
    """One testcase per scenario, its requirement as the classname, a failure's message as the step said it."""
    failures = sum(not o.passed for o in outcomes)
    root = ET.Element("testsuites", name=suite, tests=str(len(outcomes)), failures=str(failures), errors="0")
    element = ET.SubElement(root, "testsuite", name=suite, tests=str(len(outcomes)), failures=str(failures), errors="0",
                            skipped="0", time=f"{sum(o.seconds for o in outcomes):.3f}")
    for o in outcomes:
        case = ET.SubElement(element, "testcase", classname=o.scenario.requirement, name=o.scenario.id,
                             time=f"{o.seconds:.3f}", file=str(o.scenario.path or ""))
        if not o.passed:
            failure = ET.SubElement(case, "failure", message=o.failure.splitlines()[0] if o.failure else "failed",
                                    type="ExpectationFailed")
            failure.text = o.failure
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
