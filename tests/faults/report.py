"""docs/RELIABILITY.md's "Fault-injection results" section, rewritten from the last run; the rest of the file is kept."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from tests.faults.scenario import Result

HEADING = "## Fault-injection results"
_NEXT_HEADING = re.compile(r"^## ", re.MULTILINE)


def section(results: list[Result], extra_rows: list[str], *, run: str = "", when: datetime | None = None) -> str:
    day = (when or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        HEADING, "",
        "Written by `make chaos` (`tests/faults/`, against a real `jjj up`: mutual TLS, real nats-server) from its last run;",
        "`make test` runs the same cases with fewer referrals and does not rewrite this table. *Submitted*: referrals",
        "submitted (batches of work orders per `SubmitDocument`, retried with their `request_id`); *delivered*: those",
        "answered OK or queued that reached Hebei's member; *lost*: answered OK or queued, never delivered;",
        "*duplicated*: deliveries of an envelope after its acknowledgement had been answered OK; *recovery*: from the",
        "fault to the first delivery of a referral submitted after it (the longest of them for repeated faults);",
        "*longest pause*: the longest time without any delivery after a fault (what a long run shows best: its",
        "faults come while the backlog submitted before them is still being delivered);",
        "*steps refused*: signed/accepted steps whose ReportStatus was refused for good (the trails of those cases are",
        "not checked); a trail problem is a step missing, repeated or out of order at the origin or the gateway.",
        "",
        *([f"This run: {run}.", ""] if run else []),
        "| fault | submitted | answered OK (queued) | delivered | lost | duplicated | status updates lost | steps refused | recovery | longest pause | trails checked (problems) | date | sizes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        recovery = "none" if r.recovery_seconds is None else f"{r.recovery_seconds:.1f} s"
        pause = "none" if r.longest_pause_seconds is None else f"{r.longest_pause_seconds:.1f} s"
        sizes = f"{r.sizes.referrals} referrals, batches of {r.sizes.batch}"
        lines.append(f"| {r.fault} | {r.submitted} | {r.accepted} ({r.queued}) | {r.delivered} | {len(r.lost)} | "
                     f"{len(r.duplicated)} | {len(r.status_lost)} | {len(r.step_errors)} | {recovery} | {pause} | {r.trails_checked} "
                     f"({len(r.trail_problems)}) | {day} | {sizes} |")
    notes = [f"- {r.fault}: {'; '.join(r.notes)}" for r in results if r.notes]
    if extra_rows:
        lines += ["", *extra_rows]
    if notes:
        lines += ["", "Notes:", *notes]
    return "\n".join(lines) + "\n"


def rewrite(path: Path, text: str) -> None:
    """Replace the section (up to the next `## ` heading) or append it; nothing else in the file changes."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Reliability\n"
    start = current.find(HEADING)
    if start < 0:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        following = _NEXT_HEADING.search(current, start + len(HEADING))
        end = following.start() if following else len(current)
        updated = current[:start] + text + ("\n" + current[end:] if following else "")
    path.write_text(updated, encoding="utf-8")
