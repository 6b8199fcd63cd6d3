"""Beijing work orders (dicts, from_common.case_to_native) -> document bytes.

One order gives one JSON object, several give an array (Beijing's batch form).
UTF-8, Chinese as is (ensure_ascii=False), keys in the order given (SPEC.md order,
fields only the original order had after them), indented like Beijing's samples.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def dumps(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render(orders: Iterable[dict[str, Any]]) -> bytes:
    """One order -> one object; zero or several -> an array."""
    orders = list(orders)
    return dumps(orders[0] if len(orders) == 1 else orders)
