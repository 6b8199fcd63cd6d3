"""The wheel carries the tables: schemas/ is copied into the built package as kernel/schemas.

The repository keeps schemas/ at the top level; kernel.tables.SCHEMAS_DIR finds the
packaged copy first. Editable installs get no copy and keep reading the checkout's
schemas/, so an edited table takes effect without reinstalling.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithSchemas(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "kernel" / "schemas"
        # A stale copy from an earlier build must not leave deleted tables behind.
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree("schemas", target)


setup(cmdclass={"build_py": BuildPyWithSchemas})
