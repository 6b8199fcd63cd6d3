"""Conformance scenarios as data: YAML files of steps, each scenario naming the requirement it checks.

  id: referral-delivered
  requirement: a referral is delivered to the competent jurisdiction
  timeout: 20                   # seconds each expectation may wait (default 20)
  steps:
    - submit: {as: beijing, generate: {to: hebei}, save: case}
    - expect_inbox: {member: hebei, case: $case, flow: referral}
    - step: {as: hebei, case: $case, status: STATUS_RECEIVED}
    - expect_status: {at: beijing, case: $case, status: STATUS_RECEIVED}

A member may also be one a step saved (`expect_submission`'s `save_holder: receiver`,
then `as: $receiver`): the kit resolves it when the step runs.

Members may be written `$member` / `$other` (and `$third`) in a scenario meant for one
member's own receiving system (`jjj conformance run --member J`): the kit fills in J and
the other two. Loading checks every step's keys, so a typo fails at load, naming the file
and the step, not half-way through a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kernel.errors import ConfigurationError
from kernel.tables import read_yaml

SCENARIOS_DIR = Path(__file__).with_name("scenarios")
DEFAULT_TIMEOUT = 20.0

# step kind -> (required keys, optional keys)
# what a step reports beyond its status (schemas/lifecycle.yaml): `step` and `expect_refused` take them
STEP_FACTS = {"reason", "note", "days_ago", "return_reason", "closing", "merged_into", "event", "extension",
              "coordination", "satisfaction"}
STEP_KEYS: dict[str, tuple[set[str], set[str]]] = {
    "submit": ({"as"}, {"sample", "generate", "again", "to", "transfer", "save", "expect_destination", "expect_flag",
                        "expect_cases", "expect_attempt", "expect_repeat_of"}),
    "expect_rejection": ({"as", "field"}, {"sample", "generate", "missing_field", "to"}),
    "expect_inbox": ({"member", "case"}, {"flow", "status", "closing", "return_reason", "attempt"}),
    "step": ({"as", "case", "status"}, STEP_FACTS),
    "expect_refused": ({"as", "case", "status"}, STEP_FACTS | {"code", "error_reason", "mentions"}),
    "expect_status": ({"at", "case", "status"}, {"holder", "attempt"}),
    "expect_event": ({"at", "case", "event"}, set()),
    "expect_receipt": ({"at", "case", "receiver"}, {"flow"}),
    "expect_submission": ({"from", "save"}, {"to", "flow", "kind", "save_holder", "instruct"}),
    "share": ({"as", "topic"}, {"audience", "title", "body", "save", "sample", "emergency", "ack"}),
    "expect_share": ({"member", "topic"}, {"title", "digests", "case", "broadcast"}),
    "expect_deadline_notice": ({"member", "case"}, {"step", "kind"}),
}
GENERATE_KEYS = {"to", "kind", "urgent", "repeat_of"}


@dataclass(frozen=True)
class Step:
    kind: str
    args: dict
    number: int  # 1-based, as a reader counts them

    def describe(self) -> str:
        shown = ", ".join(f"{key}: {value}" for key, value in self.args.items() if key != "generate")
        return f"step {self.number} ({self.kind} {shown})"


@dataclass(frozen=True)
class Scenario:
    id: str
    requirement: str
    steps: tuple[Step, ...]
    timeout: float = DEFAULT_TIMEOUT
    description: str = ""
    path: Path | None = None
    # the scenario is written for one member's own receiving system ($member)
    for_member: bool = False
    members: tuple[str, ...] = field(default_factory=tuple)  # the members it touches

    def bound(self, member: str, others: list[str]) -> "Scenario":
        """`$member`, `$other`, `$third` replaced by member names."""
        names = {"$member": member, "$other": others[0], "$third": others[1]}

        def bind(value):
            if isinstance(value, str):
                for name, member_name in names.items():  # in text too (an `instruct` naming the member)
                    value = value.replace(name, member_name)
                return value
            if isinstance(value, list):
                return [bind(v) for v in value]
            if isinstance(value, dict):
                return {k: bind(v) for k, v in value.items()}
            return value

        steps = tuple(Step(s.kind, bind(s.args), s.number) for s in self.steps)
        return Scenario(self.id, self.requirement, steps, self.timeout, self.description, self.path, False, self.members)


def load(path: Path) -> list[Scenario]:
    """One file holds one scenario, or a list of them under `scenarios:`."""
    data = read_yaml(path)
    entries = data["scenarios"] if isinstance(data, dict) and "scenarios" in data else [data]
    return [_scenario(path, entry) for entry in entries]


def load_all(paths: list[Path] | None = None) -> list[Scenario]:
    """Every scenario of the given files and directories (default: the shipped ones, the member set excluded)."""
    files: list[Path] = []
    for path in paths or [SCENARIOS_DIR]:
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.yaml")))
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigurationError(f"{path}: no such scenario file or directory")
    scenarios = [scenario for file in files for scenario in load(file)]
    seen: dict[str, Path | None] = {}
    for scenario in scenarios:
        if scenario.id in seen:
            raise ConfigurationError(f"scenario id {scenario.id!r} is in both {seen[scenario.id]} and {scenario.path}")
        seen[scenario.id] = scenario.path
    return scenarios


def _scenario(path: Path, entry: dict) -> Scenario:
    where = f"{path}"
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where}: a scenario is a mapping, not {type(entry).__name__}")
    unknown = set(entry) - {"id", "requirement", "description", "timeout", "steps"}
    missing = {"id", "requirement", "steps"} - set(entry)
    if unknown or missing:
        raise ConfigurationError(f"{where}: scenario {entry.get('id', '?')}: "
                                 + "; ".join([*(f"unknown key {k!r}" for k in sorted(unknown)),
                                              *(f"missing {k!r}" for k in sorted(missing))]))
    steps = tuple(_step(f"{where}: scenario {entry['id']}", number, raw) for number, raw in enumerate(entry["steps"], 1))
    text = repr([s.args for s in steps])
    members = tuple(sorted({v for s in steps for k, v in s.args.items() if k in ("as", "member", "at", "to", "from")
                            and isinstance(v, str)}))
    return Scenario(id=str(entry["id"]), requirement=str(entry["requirement"]), steps=steps,
                    timeout=float(entry.get("timeout", DEFAULT_TIMEOUT)), description=str(entry.get("description", "")),
                    path=path, for_member="$member" in text, members=members)


def _step(where: str, number: int, raw: dict) -> Step:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ConfigurationError(f"{where}: step {number}: one step kind per list entry, e.g. `- submit: {{...}}`")
    ((kind, args),) = raw.items()
    if kind not in STEP_KEYS:
        raise ConfigurationError(f"{where}: step {number}: unknown step {kind!r}; steps are {', '.join(STEP_KEYS)}")
    args = dict(args or {})
    required, optional = STEP_KEYS[kind]
    problems = [f"missing {k!r}" for k in sorted(required - set(args))]
    problems += [f"unknown key {k!r}" for k in sorted(set(args) - required - optional)]
    if kind == "expect_rejection" and ("sample" in args) == ("generate" in args):
        problems.append("needs exactly one of 'sample' and 'generate'")
    if kind == "submit" and sum(key in args for key in ("sample", "generate", "again")) != 1:
        problems.append("needs exactly one of 'sample', 'generate' and 'again'")
    if isinstance(args.get("generate"), dict):
        problems += [f"generate: unknown key {k!r}" for k in sorted(set(args["generate"]) - GENERATE_KEYS)]
    if problems:
        raise ConfigurationError(f"{where}: step {number} ({kind}): {'; '.join(problems)}")
    return Step(kind, args, number)
