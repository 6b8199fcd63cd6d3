"""The layer rule of pyproject.toml ([tool.importlinter]) holds, and it bites.

The second test copies the packages into a temporary directory, adds one forbidden
import to a copy of a kernel module, and runs the same contracts there: they must
break and name the import.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cli", "adapters", "gateway", "harness", "kernel", "jjj")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(where / "pyproject.toml"), "--no-cache"],
        cwd=where, capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(where), "PATH": "/usr/bin:/bin"},
    )


def _copy_tree(target: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")


def test_the_project_keeps_its_layer_contracts(tmp_path: Path):
    _copy_tree(tmp_path)
    run = _lint(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


@pytest.mark.parametrize(
    ("module", "forbidden", "contract"),
    [
        ("kernel/domain/lifecycle.py", "gateway.projection.store", "One way"),
        ("kernel/bus/subjects.py", "adapters.service.relay", "One way"),
        ("gateway/statistics.py", "adapters.service.store", "One way"),
        ("adapters/hebei/codec.py", "adapters.service.relay", "Codecs are pure"),
        ("harness/client.py", "adapters.service.relay", "One way"),
        ("harness/state.py", "cli.supervisor", "One way"),
        ("gateway/query.py", "harness.client", "One way"),
        ("adapters/beijing/parser.py", "adapters.tianjin.parser", "Codecs are pure"),
    ],
)
def test_a_forbidden_import_breaks_the_build(tmp_path: Path, module: str, forbidden: str, contract: str):
    _copy_tree(tmp_path)
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\nimport {forbidden}  # the forbidden import\n", encoding="utf-8")
    run = _lint(tmp_path)
    importer = module.removesuffix(".py").replace("/", ".")
    assert run.returncode == 1, run.stdout
    assert f"{contract}" in run.stdout and "BROKEN" in run.stdout
    assert f"{importer} -> {forbidden}" in run.stdout, run.stdout
