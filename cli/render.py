"""What the engineer commands print: rich tables on a terminal, JSON with --json, refusals on stderr.

Tables go to stdout and never carry personal data (case ids, statuses, fields, reasons);
the native document of an inbox item is written only to a directory the engineer names.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness import items, names
from harness.errors import Refusal
from jjj.bus.v1 import envelope_pb2


def console(stream=None) -> Console:
    stream = stream or sys.stdout
    # Off a terminal rich would wrap at 80 columns: a case id and an envelope id do not fit.
    terminal = stream.isatty()
    return Console(file=stream, width=None if terminal else 200, soft_wrap=not terminal, highlight=False)


def emit_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence], *, out: Console | None = None) -> None:
    grid = Table(title=title, title_justify="left")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        # Text, not markup: a member's note may hold "[...]", which rich would take for a style.
        grid.add_row(*(Text("" if value is None else str(value)) for value in row))
    (out or console()).print(grid)


def refusal(command: str, refused: Refusal, *, as_json: bool) -> None:
    if as_json:
        emit_json({"error": refused.to_dict()})
    lines = refused.lines()
    print(f"jjj {command}: the federation refused: {lines[0]}", file=sys.stderr)
    for line in lines[1:]:
        print(line, file=sys.stderr)


def problem(command: str, message: str, *, as_json: bool, kind: str) -> None:
    if as_json:
        emit_json({"error": {"kind": kind, "message": message}})
    print(f"jjj {command}: {message}", file=sys.stderr)


# -- the answers ---------------------------------------------------------------------------


def submission(response, *, as_json: bool) -> None:
    if as_json:
        emit_json(items.as_json(response))
        return
    out = console()
    if response.submissions:
        table("sent", ["case_id", "to", "envelope_id", "duplicate", "basis", "repeats"],
              ([s.case_id, names.member_label(s.destination), s.envelope_id, "yes" if s.duplicate else "",
                _basis(s.basis), ", ".join(link.earlier_case_id for link in s.repeats) if s.repeats else ""]
               for s in response.submissions), out=out)
    if response.rejections:
        rejections(response.rejections, out=out)


def _basis(basis: int) -> str:
    return envelope_pb2.RoutingBasis.Name(basis).removeprefix("ROUTING_BASIS_").lower() if basis else ""


def rejections(rejected, *, out: Console | None = None) -> None:
    table("rejected (fix the field, then submit again)", ["row", "record", "field", "reason", "quarantine_id"],
          ([r.row or "", r.record if r.record >= 0 else "", r.field, r.reason, r.quarantine_id] for r in rejected),
          out=out)


def inbox_line(item, *, as_json: bool, acknowledged: bool, out: Console) -> None:
    row = items.summary(item)
    row["acknowledged"] = acknowledged
    if as_json:
        emit_json(row)
        return
    mark = "acked" if acknowledged else "held"
    out.print(f"{row['flow']:<22} {row['case_id'] or '-':<32} from {row['sender']:<20} {row['detail']}  "
              f"[{mark}, delivery {row['delivery']}, item {row['item_id']}]", markup=False)


def step(response, *, as_json: bool) -> None:
    if as_json:
        emit_json(items.as_json(response))
        return
    table("step", ["case_id", "status", "sequence"],
          [[response.case_id, names.status_name(response.status), response.sequence]])


def trail(response, *, as_json: bool) -> None:
    if as_json:
        emit_json(items.as_json(response))
        return
    record = response.record
    out = console()
    table(f"case {record.case_id}", ["origin", "holder", "native_id", "status", "flow", "sequence", "referred_at", "due_at"],
          [[names.member_label(record.origin), names.member_label(record.holder), record.native_id,
            names.status_name(record.status), names.flow_name(record.flow), record.sequence,
            _time(record.referred_at), _time(record.due_at)]], out=out)
    table("trail", ["at", "flow", "sender", "destination", "status", "sequence", "actor", "note"],
          ([_time(entry.at), names.flow_name(entry.flow), names.member_label(entry.sender),
            names.member_label(entry.destination), names.status_name(entry.status), entry.sequence, entry.actor,
            entry.note] for entry in response.trail), out=out)


def _time(stamp) -> str:
    return stamp.ToDatetime().isoformat(timespec="seconds") + "Z" if stamp.seconds else ""


def shared(response, *, as_json: bool) -> None:
    if as_json:
        emit_json(items.as_json(response))
        return
    out = console()
    table("shared", ["envelope_id"], ([envelope_id] for envelope_id in response.envelope_ids), out=out)
    if response.repeats:
        table("likely repeats", ["case_id", "earlier_case_id", "score"],
              ([link.case_id, link.earlier_case_id, f"{link.score:.2f}"] for link in response.repeats), out=out)
    if response.rejections:
        rejections(response.rejections, out=out)


def status(rows: list[dict], *, as_json: bool) -> None:
    if as_json:
        emit_json({"processes": rows, "healthy": all(row["healthy"] for row in rows)})
        return
    table("federation", ["process", "address", "pid", "running", "health", "detail"],
          ([row["process"], row["address"], row["pid"] or "", _yes(row["running"]), row["health"], row["detail"]]
           for row in rows))


def _yes(value) -> str:
    return "?" if value is None else ("yes" if value else "NO")

