"""The project's copy of the given inputs (tests/fixtures/shared) equals ../shared when that is present."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.expected import SHARED as COPY

ORIGINAL = Path(__file__).resolve().parents[1].parent / "shared"
COPIED = ("domain", "model", "jurisdictions", "README.md")


def files(root: Path) -> dict[str, bytes]:
    found = {}
    for top in COPIED:
        path = root / top
        for file in [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()):
            found[str(file.relative_to(root))] = file.read_bytes()
    return found


@pytest.mark.skipif(not ORIGINAL.is_dir(), reason="../shared is not beside this clone")
def test_the_copy_is_exactly_the_given_inputs():
    assert files(COPY) == files(ORIGINAL), "refresh with: rm -rf tests/fixtures/shared && cp -r ../shared tests/fixtures/shared"
