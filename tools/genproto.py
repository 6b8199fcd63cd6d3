"""Regenerate the Python code for everything under proto/ (`make proto`).

Output lands beside the repo root in the `jjj` package, so that a proto at
proto/jjj/case/v1/case.proto becomes jjj.case.v1.case_pb2 and generated imports
need no rewriting. Generated code is committed; CI regenerates and fails on a diff.
"""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
OUT_PACKAGE = ROOT / "jjj"


def main() -> int:
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    if OUT_PACKAGE.exists():
        shutil.rmtree(OUT_PACKAGE)
    well_known = str(resources.files("grpc_tools") / "_proto")
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={ROOT}",
        f"--pyi_out={ROOT}",
        f"--grpc_python_out={ROOT}",
        *protos,
    ]
    if protoc.main(args) != 0:
        print("protoc failed", file=sys.stderr)
        return 1
    for directory in [OUT_PACKAGE, *(p for p in OUT_PACKAGE.rglob("*") if p.is_dir())]:
        (directory / "__init__.py").write_text('"""Generated from proto/ by tools/genproto.py; do not edit."""\n')
    print(f"generated {len(protos)} proto files into {OUT_PACKAGE.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
