"""Policies and tables built from schemas/ are cached per process (functools.cache).

Mutation testing runs each mutant in a process forked from one that already ran the
tests, so a cached policy would have been built by the unmutated code and a mutant in
the code that builds it could never be seen. Every test here starts with those caches
empty: it builds what it uses with the code under test (a few ms per test).
"""

from __future__ import annotations

import sys

import pytest

_BUILT_FROM_TABLES = ("kernel.domain.", "kernel.normalize.")


def _clear_policy_caches() -> None:
    for name, module in list(sys.modules.items()):
        if not name.startswith(_BUILT_FROM_TABLES):
            continue
        for value in vars(module).values():
            if getattr(value, "__module__", None) == name and callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


@pytest.fixture(autouse=True)
def fresh_policy_caches() -> None:
    _clear_policy_caches()
