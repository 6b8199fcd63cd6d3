"""The released proto is guarded: `make lint-proto` runs `buf breaking` against buf/released.binpb.

The command is taken from the Makefile itself (`make -n`) and run on a copy of proto/,
buf.yaml and the baseline: the tree as it is passes, an added field passes, and a
renumbered or removed field of Case fails, naming the field.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUF = ROOT / "node_modules" / ".bin" / "buf"
CASE_PROTO = Path("proto/jjj/case/v1/case.proto")

pytestmark = pytest.mark.skipif(not BUF.exists(), reason="buf not installed: `make lint-proto` installs it (npm ci)")


def breaking_command() -> list[str]:
    planned = subprocess.run(["make", "-n", "-s", "lint-proto"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert planned.returncode == 0, planned.stderr
    (line,) = [line for line in planned.stdout.splitlines() if " breaking " in line]
    command = shlex.split(line)
    assert command[0] == "node_modules/.bin/buf" and "--against" in command, command
    return [str(BUF), *command[1:]]


@pytest.fixture
def contract(tmp_path: Path) -> tuple[Path, list[str]]:
    """A copy of proto/, buf.yaml and the baseline, and the Makefile's breaking command to run in it."""
    command = breaking_command()
    baseline = command[command.index("--against") + 1]
    shutil.copytree(ROOT / "proto", tmp_path / "proto")
    shutil.copy(ROOT / "buf.yaml", tmp_path / "buf.yaml")
    (tmp_path / baseline).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / baseline, tmp_path / baseline)
    return tmp_path, command


def edit_case_proto(tree: Path, old: str, new: str) -> None:
    path = tree / CASE_PROTO
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def run(contract: tuple[Path, list[str]]) -> subprocess.CompletedProcess:
    tree, command = contract
    return subprocess.run(command, cwd=tree, capture_output=True, text=True, timeout=120)


def test_the_proto_as_it_is_keeps_the_released_contract(contract):
    checked = run(contract)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_added_field_keeps_it(contract):
    edit_case_proto(contract[0], "  Provenance provenance = 23;\n", "  Provenance provenance = 23;\n  string added_later = 99;\n")
    checked = run(contract)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(("old", "new", "named"), [
    ("  string title = 7;\n", "  string title = 70;\n", r'field "7" with name "title" on message "Case"'),
    ("  Location location = 10;\n", "", r'field "10" with name "location" on message "Case"'),
], ids=["renumbered", "removed"])
def test_a_breaking_change_to_case_fails_naming_it(contract, old, new, named):
    edit_case_proto(contract[0], old, new)
    checked = run(contract)
    output = checked.stdout + checked.stderr
    assert checked.returncode != 0, output
    assert re.search(named, output), output
    assert "jjj/case/v1/case.proto" in output
