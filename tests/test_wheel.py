"""A wheel built from the project runs on its own: tables included, no checkout needed.

The wheel is built from a copy of the build inputs and installed, without its
dependencies, into a fresh venv; the dependencies come from this project's .venv
through a .pth line (no network). Everything then runs from an empty directory with
a clean environment, so the checkout can be neither on sys.path nor found through
JJJ_SCHEMAS_DIR: what answers is the installed wheel.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from cli.main import main as jjj_main
from tests.conftest import SHARED

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "schemas", "jjj", "kernel", "adapters", "gateway", "cli", "harness")
PACKAGES = ("cli", "adapters", "gateway", "harness", "kernel", "jjj")
BEIJING_SAMPLE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
TIANJIN_SAMPLES = sorted((SHARED / "jurisdictions/tianjin/samples/valid").glob("*.xml"))


def _run(command: list, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """The fresh venv with the wheel installed: its root, the directory to run from, and the environment."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    source.mkdir()
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
                  "-q", "-w", base / "dist", "."], cwd=source)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (base / "dist").glob("jjj_exchange-*.whl")

    venv = base / "venv"
    created = _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    installed = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
                      "--disable-pip-version-check", "-q", wheel], cwd=base)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # The dependencies, and only them: a directory named in a .pth file is put on sys.path
    # but its own .pth files (among them the editable install's finder) are not run.
    site_packages = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=base).stdout.strip())
    dependencies = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site_packages / "project-dependencies.pth").write_text("\n".join(sorted(dependencies)) + "\n")

    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(base), "LANG": "C.UTF-8"}
    return {"venv": venv, "cwd": elsewhere, "env": env, "site_packages": site_packages}


def test_the_installed_wheel_answers_not_the_checkout(installed):
    probe = ("import importlib.util, json, sys; from kernel.tables import SCHEMAS_DIR; "
             "from kernel.config import default_data_dir; "
             f"print(json.dumps({{'packages': {{p: importlib.util.find_spec(p).origin for p in {PACKAGES!r}}}, "
             "'schemas': str(SCHEMAS_DIR), 'path': sys.path, 'data_dir': str(default_data_dir())}))")
    run = _run([installed["venv"] / "bin" / "python", "-c", probe], cwd=installed["cwd"], env=installed["env"])
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    for package, origin in seen["packages"].items():
        assert Path(origin).is_relative_to(installed["site_packages"]), (package, origin)
    assert Path(seen["schemas"]) == installed["site_packages"] / "kernel" / "schemas"
    assert (Path(seen["schemas"]) / "tianjin" / "workorder.xsd").is_file()
    assert (Path(seen["schemas"]) / "beijing" / "workorder.schema.json").is_file()
    # An installed federation keeps its state where it is run, not inside site-packages.
    assert Path(seen["data_dir"]) == Path(installed["cwd"]) / "var"
    # The checkout is on sys.path only through its .venv's site-packages (the dependencies).
    from_checkout = [entry for entry in seen["path"] if entry and Path(entry).resolve().is_relative_to(ROOT)]
    assert from_checkout and all(Path(entry).resolve().is_relative_to(ROOT / ".venv") for entry in from_checkout), seen["path"]


def _in_process(capsys, *argv) -> str:
    capsys.readouterr()
    assert jjj_main(list(argv)) == 0
    return capsys.readouterr().out


def _timeless(cases) -> list[dict]:
    cases = list(cases)
    for case in cases:
        case["provenance"].pop("mappedAt")
    return cases


def test_jjj_map_from_the_wheel(installed, capsys):
    run = _run(["jjj", "map", "--from", "beijing", BEIJING_SAMPLE], cwd=installed["cwd"], env=installed["env"])
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    cases = [json.loads(line) for line in run.stdout.splitlines()]
    native = json.loads(BEIJING_SAMPLE.read_text(encoding="utf-8"))
    assert [case["caseId"] for case in cases] == [f"jjj:BJ:{native['gdbh']}"]
    assert cases[0]["location"]["adminCode"] == native["sfdd"]["xzqh"]
    # The same cases as the checkout maps, up to the moment of mapping.
    assert _timeless(cases) == _timeless(json.loads(line) for line in _in_process(capsys, "map", "--from", "beijing",
                                                                                  str(BEIJING_SAMPLE)).splitlines())


@pytest.mark.parametrize("sample", TIANJIN_SAMPLES, ids=lambda path: path.name)
def test_jjj_route_from_the_wheel(installed, capsys, sample):
    run = _run(["jjj", "route", "--from", "tianjin", sample], cwd=installed["cwd"], env=installed["env"])
    assert run.returncode == 0, run.stderr
    order_numbers = re.findall(r"<OrderNo>([^<]+)</OrderNo>", sample.read_text(encoding="utf-8-sig"))
    routes = [line.split(" ") for line in run.stdout.splitlines()]
    assert [case_id for case_id, _ in routes] == [f"jjj:TJ:{number}" for number in order_numbers]
    assert all(re.fullmatch(r"JURISDICTION_(BEIJING|TIANJIN|HEBEI)", destination) for _, destination in routes), routes
    assert run.stdout == _in_process(capsys, "route", "--from", "tianjin", str(sample))


def test_the_wheel_registers_the_member_teams_pytest_plugin(installed):
    (entry_points,) = installed["site_packages"].glob("jjj_exchange-*.dist-info/entry_points.txt")
    text = entry_points.read_text(encoding="utf-8")
    assert "[pytest11]\njjj = harness.pytest_plugin" in text, text
    assert (installed["site_packages"] / "harness" / "pytest_plugin.py").is_file()
