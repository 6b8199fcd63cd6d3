"""Where the domain policy files live and how they are read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"


def read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def reject_unknown_keys(where: str, entry: dict[str, Any], allowed: set[str]) -> None:
    """Policy files are edited by hand: a misspelt key must fail loudly, not be ignored."""
    unknown = set(entry) - allowed
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
