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
