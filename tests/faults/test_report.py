"""docs/RELIABILITY.md: the suite rewrites its own section only, whoever wrote the rest."""

from __future__ import annotations

from tests.faults.report import HEADING, rewrite, section
from tests.faults.scenario import Result
from tests.faults.workload import Ledger, Sizes


def result(**changes) -> Result:
    values = dict(fault="kill -9 of x", sizes=Sizes(referrals=10), submitted=10, accepted=10, queued=2, refused=0,
                  delivered=9, lost=["jjj:BJ:1"], duplicated=[("jjj:BJ:2/referral/1", 2)], status_lost=[],
                  recovery_seconds=1.25, trail_problems=[], trails_checked=9, step_errors=[], unexpected=[], errors={})
    return Result(**{**values, **changes})


def test_the_section_replaces_only_itself_between_other_sections(tmp_path):
    path = tmp_path / "RELIABILITY.md"
    path.write_text("# Reliability\n\n## Durability of the bus\n\nA\n\n" + HEADING + "\n\nold\n\n## Later\n\nB\n")
    rewrite(path, section([result()], []))
    text = path.read_text()
    assert text.startswith("# Reliability\n\n## Durability of the bus\n\nA\n\n" + HEADING)
    assert text.endswith("\n## Later\n\nB\n") and "old" not in text
    assert "| kill -9 of x | 10 | 10 (2) | 9 | 1 | 1 | 0 | 0 | 1.2 s | none | 9 (0) |" in text


def test_the_section_is_appended_to_a_file_without_it_and_a_missing_file_is_made(tmp_path):
    path = tmp_path / "RELIABILITY.md"
    rewrite(path, section([result(recovery_seconds=None)], ["Memory: peak 80 MiB"]))
    text = path.read_text()
    assert text.startswith("# Reliability\n\n" + HEADING) and "| none |" in text and "Memory: peak 80 MiB" in text
    path.write_text("# Reliability\n\n## Durability of the bus\n\nA\n")
    rewrite(path, section([result()], []))
    assert path.read_text().startswith("# Reliability\n\n## Durability of the bus\n\nA\n\n" + HEADING)


def test_the_longest_pause_after_a_fault_counts_from_the_fault_to_the_last_delivery():
    ledger = Ledger()
    ledger.delivery_times = [(9.0, "a/referral/1"), (10.5, "b/referral/1"), (12.0, "b/status/1"), (14.0, "c/referral/1"),
                             (14.2, "d/referral/1"), (30.0, "e/referral/1")]
    assert ledger.longest_pause_after(10.0) == 15.8  # 14.2 -> 30.0
    ledger.delivery_times = ledger.delivery_times[:5]
    assert ledger.longest_pause_after(10.0) == 3.5  # 10.5 -> 14.0: the status update in between does not count
    assert ledger.longest_pause_after(20.0) is None  # nothing delivered after it


def test_the_row_shows_the_longest_pause(tmp_path):
    text = section([result(longest_pause_seconds=42.04)], [])
    assert "| 1.2 s | 42.0 s | 9 (0) |" in text
