"""Checks a mapped case against ../shared/jurisdictions/EXPECTED.json (its README explains the keys)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict

from jjj.case.v1 import case_pb2

# The project's copy of the given inputs (../shared beside the project root), kept
# in step by tests/test_shared_copy.py, so the suite runs from any clone.
SHARED = Path(__file__).resolve().parents[1] / "fixtures" / "shared"
JURISDICTIONS = SHARED / "jurisdictions"
DEGREE_TOLERANCE = 5e-5


def load_expected() -> dict[str, Any]:
    return json.loads((JURISDICTIONS / "EXPECTED.json").read_text(encoding="utf-8"))


def samples(jurisdiction: str, validity: str) -> list[str]:
    """Keys of EXPECTED.json for one jurisdiction's valid or invalid samples."""
    prefix = f"{jurisdiction}/samples/{validity}/"
    return sorted(key for key in load_expected() if key.startswith(prefix))


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(data, list):
            index = int(part)
            data = data[index] if index < len(data) else None
        elif isinstance(data, dict):
            data = data.get(part)
        else:
            return None
        if data is None:
            return None
    return data


def _empty(value: Any) -> bool:
    return value is None or value in ("", [], {}, 0, False)


def mismatches(case: case_pb2.Case, checks: dict[str, Any]) -> list[str]:
    """Every way `case` differs from one EXPECTED.json check object (empty list: it matches)."""
    data = MessageToDict(case)
    problems: list[str] = []
    flags = list(case.quality_flags)
    for key, want in checks.items():
        if key in ("routeTo", "batchCount", "caseIdsPrefix"):
            continue  # checked by the caller: they are about routing or the whole file
        if key == "qualityFlags":
            if flags != want:
                problems.append(f"qualityFlags: want {want}, got {flags}")
        elif key == "qualityFlagsInclude":
            for path in want:
                variants = {path, _camel(path)}
                if not any(flag.split(":")[0] in variants or any(v in flag for v in variants) for flag in flags):
                    problems.append(f"no quality flag names {path}: {flags}")
        elif key == "extensionsHasKeys":
            missing = [k for k in want if k not in case.extensions]
            if missing:
                problems.append(f"extensions lack {missing}: {sorted(case.extensions)}")
        elif key == "handlersCount":
            if len(case.handlers) != want:
                problems.append(f"handlers: want {want}, got {len(case.handlers)}")
        elif key == "historyCount":
            if len(case.history) != want:
                problems.append(f"history: want {want}, got {len(case.history)}")
        else:
            got = _lookup(data, key)
            if want is None:
                if not _empty(got):
                    problems.append(f"{key}: want absent, got {got!r}")
            elif isinstance(want, float) or (isinstance(want, int) and isinstance(got, float)):
                if got is None or abs(float(got) - want) > DEGREE_TOLERANCE:
                    problems.append(f"{key}: want {want}, got {got!r}")
            elif isinstance(want, bool):
                if bool(got) != want:
                    problems.append(f"{key}: want {want}, got {got!r}")
            elif got != want:
                problems.append(f"{key}: want {want!r}, got {got!r}")
    return problems


def _route(case: case_pb2.Case) -> str:
    from kernel.normalize.admin import jurisdiction_of

    return case_pb2.Jurisdiction.Name(jurisdiction_of(case.location.admin_code))


def sample_problems(key: str, outcomes: list) -> list[str]:
    """Every way a codec's outcomes for sample `key` differ from EXPECTED.json (empty: conformant).

    `outcomes` are the codec's Accepted/Rejected objects in document order.
    """
    from kernel.codec import Accepted, Rejected

    expected = load_expected()[key]
    cases = [o.case for o in outcomes if isinstance(o, Accepted)]
    rejected = [o for o in outcomes if isinstance(o, Rejected)]
    raw = (JURISDICTIONS / key).read_bytes()
    if isinstance(expected, dict) and expected.get("rejected"):
        problems = [f"accepted {len(cases)} case(s)"] if cases else []
        if not rejected:
            return problems + ["nothing rejected"]
        if not any(expected["errorMentions"].lower() in r.message(key).lower() for r in rejected):
            problems.append(f"no rejection mentions {expected['errorMentions']!r}: {[r.message(key) for r in rejected]}")
        if not all(r.raw for r in rejected) or (len(rejected) == 1 and rejected[0].raw != raw):
            problems.append("the rejected document is not kept whole for quarantine")
        return problems
    checks = expected if isinstance(expected, list) else [expected]
    problems = []
    want_rejected = sorted({row for check in checks for row in check.get("rejectedRows", [])})
    if sorted(r.row for r in rejected) != want_rejected:
        problems.append(f"rejected rows {[r.message(key) for r in rejected]}, want {want_rejected}")
    batch = next((check["batchCount"] for check in checks if "batchCount" in check), None)
    if batch is not None:
        checks = checks * batch if len(checks) == 1 else checks
    if len(cases) != len(checks):
        return problems + [f"{len(cases)} cases, want {len(checks)}"]
    for index, (case, check) in enumerate(zip(cases, checks)):
        problems += [f"case {index}: {p}" for p in mismatches(case, check)]
        if "caseIdsPrefix" in check and not case.case_id.startswith(check["caseIdsPrefix"]):
            problems.append(f"case {index}: {case.case_id} lacks prefix {check['caseIdsPrefix']}")
        if "routeTo" in check and _route(case) != check["routeTo"]:
            problems.append(f"case {index}: routes to {_route(case)}, want {check['routeTo']}")
    return problems
