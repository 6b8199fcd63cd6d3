"""The killed share of the last `mutmut run`, read from its data files in mutants/.

    N mutants, K killed (P%)

N counts every mutant mutmut generated (lines under `# pragma: no mutate` generate none);
K counts those a test failed on. Everything else counts against the share: a survivor, a
mutant no selected test reaches ("no tests"), a timeout, a suspicious or unchecked one.
Then the share per module and the mutants not killed, by module and function, to look at
with `mutmut show NAME`.

`--fail-under P` exits 1 when the share is below P (what `make mutants` checks).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from mutmut.stats import status_by_exit_code

KILLED = "killed"


def read_statuses(mutants_dir: Path) -> dict[str, dict[str, str]]:
    """Module file (relative to the project) -> mutant name -> status."""
    statuses: dict[str, dict[str, str]] = {}
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        exit_codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        module = str(meta.relative_to(mutants_dir)).removesuffix(".meta")
        statuses[module] = {name: status_by_exit_code[code] for name, code in exit_codes.items()}
    return statuses


def share(killed: int, total: int) -> float:
    return 100.0 * killed / total if total else 0.0


def function_of(mutant: str) -> str:
    """`kernel.domain.calendar.xǁCalendarǁadd__mutmut_3` -> `Calendar.add`."""
    mangled = mutant.rsplit(".", 1)[-1].split("__mutmut_")[0]
    return mangled.removeprefix("x_").removeprefix("xǁ").replace("ǁ", ".")


def report(statuses: dict[str, dict[str, str]]) -> tuple[list[str], float]:
    everything = Counter(status for by_name in statuses.values() for status in by_name.values())
    total = sum(everything.values())
    killed = everything[KILLED]
    overall = share(killed, total)
    lines = [f"{total} mutants, {killed} killed ({overall:.1f}%)"]
    others = ", ".join(f"{status} {count}" for status, count in sorted(everything.items()) if status != KILLED)
    if others:
        lines.append(f"  not killed: {others}")
    lines.append("")
    width = max((len(module) for module in statuses), default=0)
    for module, by_name in statuses.items():
        module_killed = sum(status == KILLED for status in by_name.values())
        lines.append(
            f"  {module:<{width}}  {len(by_name):4} mutants  {module_killed:4} killed ({share(module_killed, len(by_name)):5.1f}%)"
        )
    survivors = [(module, name, status) for module, by_name in statuses.items() for name, status in by_name.items() if status != KILLED]
    if survivors:
        lines += ["", "not killed (`mutmut show NAME` prints the change):"]
        by_function: dict[tuple[str, str], list[str]] = defaultdict(list)
        for module, name, status in survivors:
            by_function[(module, function_of(name))].append(f"{name.rsplit('__mutmut_', 1)[-1]}{'' if status == 'survived' else f' ({status})'}")
        for (module, function), numbers in by_function.items():
            lines.append(f"  {module} {function}: mutants {', '.join(numbers)}")
    return lines, overall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mutants-dir", type=Path, default=Path("mutants"))
    parser.add_argument("--fail-under", type=float, default=None, metavar="PERCENT")
    args = parser.parse_args(argv)
    statuses = read_statuses(args.mutants_dir)
    if not statuses:
        print(f"no mutmut results under {args.mutants_dir}/: run `make mutants`", file=sys.stderr)
        return 2
    lines, overall = report(statuses)
    print("\n".join(lines))
    if args.fail_under is not None and overall < args.fail_under:
        print(f"killed share {overall:.1f}% is below {args.fail_under:g}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
