"""One trace assembled from every process's span files (<data_dir>/traces/*.jsonl, kernel.observability.tracing),
and the trace id of each trail entry (the gateway keeps it from the message's NATS headers).

A jurisdiction operator sees a trace only through a case it may see: the trace must be
the trace of a trail entry of such a case. Spans hold ids and routing only, never a
case's content.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from gateway.console.auth import error
from gateway.console.roles import Principal
from kernel.observability.tracing import traces_dir

TRACE_ID = re.compile(r"[0-9a-f]{32}")
# A trace's spans are few; this bounds what one request reads back whatever the files hold.
MAX_SPANS = 500


def trace_ids(db: sqlite3.Connection, envelope_ids: list[str]) -> dict[str, str]:
    if not envelope_ids:
        return {}
    marks = ",".join("?" * len(envelope_ids))
    try:
        rows = db.execute(f"SELECT envelope_id, trace_id FROM trail_traces WHERE envelope_id IN ({marks})", envelope_ids)
        return dict(rows.fetchall())
    except sqlite3.OperationalError:  # a projection from before trace ids were kept
        return {}


def annotate(db: sqlite3.Connection, timeline: list[dict]) -> list[dict]:
    """Each timeline entry with its trace id ("" when its message carried none)."""
    found = trace_ids(db, [entry["envelope_id"] for entry in timeline if entry.get("envelope_id")])
    for entry in timeline:
        entry["trace_id"] = found.get(entry.get("envelope_id") or "", "")
    return timeline


def cases_of_trace(db: sqlite3.Connection, trace_id: str) -> set[str]:
    try:
        rows = db.execute("SELECT DISTINCT t.case_id FROM trail_traces x JOIN trail t ON t.envelope_id = x.envelope_id"
                          " WHERE x.trace_id = ?", (trace_id,))
        return {case_id for (case_id,) in rows if case_id}
    except sqlite3.OperationalError:
        return set()


def spans_of(directory: Path, trace_id: str) -> list[dict]:
    """The spans of one trace from every process's file (the rotated ones too), in start order, each with its depth."""
    needle = f'"trace_id": "{trace_id}"'
    spans: list[dict] = []
    for path in sorted(Path(directory).glob("*.jsonl*")):
        try:
            with path.open(encoding="utf-8") as lines:
                for line in lines:
                    if needle in line and len(spans) < MAX_SPANS:
                        try:
                            spans.append(json.loads(line))
                        except ValueError:  # a line cut short by a crash
                            continue
        except OSError:
            continue
    spans.sort(key=lambda span: span.get("start_ns") or 0)
    by_id = {span["span_id"]: span for span in spans}
    for span in spans:
        depth, parent = 0, by_id.get(span.get("parent_id"))
        while parent is not None and depth < 50:
            depth, parent = depth + 1, by_id.get(parent.get("parent_id"))
        span["depth"] = depth
    return spans


def trace_view(directory: Path, trace_id: str) -> dict:
    spans = spans_of(directory, trace_id)
    start = min((span["start_ns"] for span in spans if span.get("start_ns")), default=0)
    end = max((span["end_ns"] for span in spans if span.get("end_ns")), default=0)
    for span in spans:
        span["offset_ms"] = round(((span.get("start_ns") or start) - start) / 1e6, 3)
    return {"trace_id": trace_id, "spans": spans, "processes": sorted({span["process"] for span in spans}),
            "duration_ms": round((end - start) / 1e6, 3) if spans else 0}


async def trace(request: Request, viewer: Principal) -> Response:
    ctx = request.app.state.console
    trace_id = request.path_params["trace_id"].lower()
    if not TRACE_ID.fullmatch(trace_id):
        return error(400, "bad_request", "a trace id is 32 hexadecimal digits")
    cases = cases_of_trace(ctx.data.db, trace_id)
    if not viewer.sees_all and not any(viewer.sees_case(ctx.data.touching(case_id)) for case_id in cases):
        return error(404, "not_found", f"no trace {trace_id} of a case of your jurisdiction")
    view = trace_view(traces_dir(ctx.settings.data_dir), trace_id)
    if not view["spans"]:
        return error(404, "not_found", f"no spans of trace {trace_id}")
    view["cases"] = sorted(cases)
    return JSONResponse(view)


async def trace_page(request: Request) -> Response:
    """/traces/<trace_id>, the address a case view links to: the page's own trace view."""
    trace_id = request.path_params["trace_id"].lower()
    if not TRACE_ID.fullmatch(trace_id):
        return error(400, "bad_request", "a trace id is 32 hexadecimal digits")
    return RedirectResponse(f"/#/trace/{trace_id}", status_code=303)
