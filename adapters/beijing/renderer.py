"""Common cases -> Beijing document bytes.

One case gives one JSON object, several give an array (Beijing's batch form).
UTF-8, Chinese as is (ensure_ascii=False), keys in SPEC.md order (canonical.py)
with fields only the original order had after them, indented like Beijing's samples.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from adapters.beijing.mapper import case_to_native
from jjj.case.v1 import case_pb2


def dumps(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render(cases: Sequence[case_pb2.Case]) -> bytes:
    """One case -> one object; zero or several -> an array. MappingError if a case lacks what Beijing needs."""
    orders = [case_to_native(case) for case in cases]
    return dumps(orders[0] if len(orders) == 1 else orders)
