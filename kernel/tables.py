"""The tables kept as data in schemas/: where they are, how they are read, code lists.

`SCHEMAS_DIR` is the one place every process reads its tables from: the
`JJJ_SCHEMAS_DIR` setting when given, else the copy an installed wheel carries
inside this package (`kernel/schemas`, put there by the build), else the
checkout's top-level `schemas/` (editable installs and the repository itself).

A `CodeTable` translates one closed native code list to a common enum and back.
Unknown native codes are the sender breaking its own schema: a MappingError.
"""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from kernel.codec import MappingError
from kernel.errors import ConfigurationError



def _schemas_dir() -> Path:
    configured = os.environ.get("JJJ_SCHEMAS_DIR")
    if configured:
        return Path(configured)
    packaged = Path(__file__).resolve().parent / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "schemas"


SCHEMAS_DIR = _schemas_dir()


def read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def reject_unknown_keys(where: str, entry: dict[str, Any], allowed: set[str]) -> None:
    """Policy files are edited by hand: a misspelt key must fail loudly, not be ignored."""
    unknown = set(entry) - allowed
    if unknown:
        raise ConfigurationError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")


@functools.cache
def load_yaml(relative: str) -> Any:
    with (SCHEMAS_DIR / relative).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@functools.cache
def load_csv(relative: str) -> tuple[dict[str, str], ...]:
    with (SCHEMAS_DIR / relative).open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


class CodeTable:
    """native code <-> common enum value, for one field of one jurisdiction.

    `to_native` picks the code listed first for an enum value, unless the table
    names a `render` override; `fallback` is what an enum value with no native
    counterpart renders as (e.g. a channel another jurisdiction does not have).
    """

    def __init__(
        self,
        field: str,
        enum: EnumTypeWrapper,
        mapping: Mapping[str, str],
        *,
        render: Mapping[str, str] | None = None,
        fallback: str | None = None,
    ) -> None:
        self.field = field
        self.enum = enum
        self._to_common = {native: enum.Value(name) for native, name in mapping.items()}
        self._to_native: dict[int, str] = {}
        for native, value in self._to_common.items():
            self._to_native.setdefault(value, native)
        for name, native in (render or {}).items():
            self._to_native[enum.Value(name)] = native
        self._fallback = fallback

    @classmethod
    def from_schema(cls, relative: str, key: str, enum: EnumTypeWrapper, field: str) -> "CodeTable":
        """Load table `key` of a YAML file: {codes: {native: ENUM_NAME}, render?: {...}, fallback?: str}."""
        spec = load_yaml(relative)[key]
        return cls(field, enum, spec["codes"], render=spec.get("render"), fallback=spec.get("fallback"))

    def to_common(self, native: str) -> int:
        try:
            return self._to_common[native]
        except KeyError:
            allowed = ", ".join(sorted(self._to_common))
            raise MappingError(self.field, f"{native!r} is not in the code list ({allowed})") from None

    def to_native(self, value: int) -> str:
        native = self._to_native.get(value)
        if native is not None:
            return native
        if self._fallback is not None:
            return self._fallback
        raise MappingError(self.field, f"{self.enum.Name(value)} has no native code")

    def natives(self) -> list[str]:
        return list(self._to_common)
