"""The profiler's summary of py-spy's collapsed stacks: own samples per frame, the project's frames inclusive."""

from __future__ import annotations

from benchmarks.profile_load import summarise


def test_own_and_inclusive_shares_are_counted_from_collapsed_stacks(tmp_path):
    collapsed = tmp_path / "beijing.txt"
    collapsed.write_text(
        "main (cli/main.py:1);submit (adapters/service/relay.py:9);commit (adapters/service/outbox.py:5) 6\n"
        "main (cli/main.py:1);select (selectors.py:468) 4\n", encoding="utf-8")
    lines = summarise(collapsed, top=5)
    assert lines[0] == "  10 samples; most of their own:"
    assert "   60.0%  commit (adapters/service/outbox.py:5)" in lines[1]
    inclusive = lines[lines.index("  the project's own functions, inclusive:") + 1:]
    assert inclusive[0].endswith("main (cli/main.py:1)") and "100.0%" in inclusive[0]
    assert not any("selectors.py" in line for line in inclusive)


def test_an_empty_profile_says_so(tmp_path):
    empty = tmp_path / "hebei.txt"
    empty.write_text("", encoding="utf-8")
    assert summarise(empty, top=5) == ["  (no samples)"]
