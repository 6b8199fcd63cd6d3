"""The console's API: the same data the pages show, under the same rules (gateway/console/roles)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kernel import jurisdictions
from kernel.bus.deadletters import Letter
from kernel.bus.envelopes import case_id_of
from kernel.errors import JjjError, RedriveRefused
from kernel.security.envelopes import parse
from gateway.console.actions import OperatorAction
from gateway.console import traces
from gateway.console.auth import error
from gateway.console.data import DEADLINES_SHOWN
from gateway.console.masking import envelope_view
from gateway.console.roles import Principal
from jjj.bus.v1 import envelope_pb2

log = structlog.get_logger(__name__)
MAX_BULK = 200


def _ctx(request: Request):
    return request.app.state.console


# How far the deadlines page may look ahead: ten years, far beyond any time limit (a horizon past
# datetime's range would fail rather than answer).
MAX_DEADLINE_HOURS = 10 * 366 * 24
MAX_DEADLINE_ROWS = 2_000  # rows one answer may carry; `total` counts the rest


def _now() -> datetime:
    return datetime.now(UTC)


def letter_view(letter: Letter, viewer: Principal, *, with_envelope: bool = True) -> dict:
    dead = letter.letter
    refused = parse(dead.envelope)
    case_id = case_id_of(refused) if isinstance(refused, envelope_pb2.Envelope) else ""
    receiver = jurisdictions.display_name(dead.receiver) if dead.receiver else letter.receiver_token
    view = {"sequence": letter.sequence, "receiver": receiver, "receiver_token": letter.receiver_token,
            "sender_token": letter.sender_token, "reason": letter.reason_name.removeprefix("DEAD_LETTER_REASON_"),
            "detail": dead.detail, "delivery_count": dead.delivery_count, "replay_count": dead.replay_count,
            "rejected_at": dead.rejected_at.ToDatetime(tzinfo=UTC).isoformat() if dead.rejected_at.seconds else None,
            "subject": dead.subject, "envelope_id": dead.envelope_id, "case_id": case_id, "bytes": len(dead.envelope),
            "handled": letter.handled, "action": None}
    if letter.action is not None:
        action = letter.action
        view["action"] = {"action": action.action, "by": action.by, "reason": action.reason, "at": action.at,
                          "replay_count": action.replay_count}
    if with_envelope:
        # Masked for every role: a role that may read personal data asks for one letter, with a reason (audited).
        view["envelope"] = envelope_view(dead.envelope)
    return view


def visible_letters(ctx, viewer: Principal) -> list[Letter]:
    return [letter for letter in ctx.snapshot.letters if viewer.sees_tokens(letter.receiver_token, letter.sender_token)]


async def overview(request: Request, viewer: Principal) -> Response:
    return JSONResponse(_ctx(request).overview_for(viewer))


async def charts(request: Request, viewer: Principal) -> Response:
    ctx = _ctx(request)
    span = request.query_params.get("span", "hour")
    result = ctx.data.charts(viewer, _now(), span)
    result["inbox_lag"] = {member: list(samples) for member, samples in ctx.bus.lag_samples.items()
                           if viewer.sees_all or member == viewer.jurisdiction}
    return JSONResponse(result)


async def exchanges(request: Request, viewer: Principal) -> Response:
    query = request.query_params
    fields = ("case_id", "native_id", "sender", "destination", "flow", "status", "since", "until")
    try:
        rows = _ctx(request).data.exchanges(viewer, **{name: query.get(name, "") for name in fields})
    except JjjError as failure:
        return error(400, "bad_request", str(failure))
    return JSONResponse({"exchanges": rows})


async def case(request: Request, viewer: Principal) -> Response:
    ctx = _ctx(request)
    case_id = request.path_params["case_id"]
    if not ctx.data.case_exists(case_id):
        return error(404, "not_found", f"no case {case_id}")
    if not viewer.sees_case(ctx.data.touching(case_id)):
        log.warning("console_case_refused", operator=viewer.name, jurisdiction=viewer.jurisdiction, case_id=case_id)
        return error(403, "forbidden", "this case does not touch your jurisdiction")
    view = ctx.data.case(case_id, _now())
    traces.annotate(ctx.data.db, view["timeline"])
    return JSONResponse(view)


async def deadlines(request: Request, viewer: Principal) -> Response:
    given = request.query_params.get("hours", "72")
    try:
        hours = float(given)
    except ValueError:
        hours = math.nan
    if not 0 < hours <= MAX_DEADLINE_HOURS:
        return error(400, "bad_request", f"hours must be a number of hours above 0 and at most {MAX_DEADLINE_HOURS}, not {given!r}")
    wanted = request.query_params.get("limit", str(DEADLINES_SHOWN))
    limit = int(wanted) if wanted.isascii() and wanted.isdigit() else 0
    if not 0 < limit <= MAX_DEADLINE_ROWS:
        return error(400, "bad_request", f"limit must be a whole number of rows from 1 to {MAX_DEADLINE_ROWS}, not {wanted!r}")
    found = _ctx(request).data.deadlines(viewer, _now(), hours, limit)
    return JSONResponse({"deadlines": found.rows, "total": found.total, "limit": limit})


async def dead_letters(request: Request, viewer: Principal) -> Response:
    ctx = _ctx(request)
    await ctx.refresh_letters()
    return JSONResponse({"dead_letters": [letter_view(letter, viewer) for letter in visible_letters(ctx, viewer)],
                         "max_replays": ctx.bus.dead_letters.max_replays})


async def _act(request: Request, viewer: Principal, action: str) -> Response:
    ctx = _ctx(request)
    try:
        body = await request.json()
        sequences = [int(value) for value in body.get("sequences", [])]
        reason = str(body.get("reason", "")).strip()
    except Exception:
        return error(400, "bad_request", "sequences (numbers) and a reason are required")
    if not reason:
        return error(400, "reason_required", "every action needs a reason")
    if not sequences or len(sequences) > MAX_BULK:
        return error(400, "bad_request", f"between 1 and {MAX_BULK} dead letters at once")
    results = []
    for sequence in sequences:
        results.append(await ctx.act_on_letter(viewer, action, sequence, reason))
    await ctx.refresh_letters()
    status = 200 if all(item["ok"] for item in results) else 207 if any(item["ok"] for item in results) else 409
    return JSONResponse({"results": results}, status_code=status)


async def redrive(request: Request, viewer: Principal) -> Response:
    return await _act(request, viewer, "redrive")


async def discard(request: Request, viewer: Principal) -> Response:
    return await _act(request, viewer, "discard")


async def unmasked_letter(request: Request, viewer: Principal) -> Response:
    """A refused envelope with its personal data, for a role that may read it, within its scope, with a reason;
    every attempt of such a role is written to the action log (reading personal data is an audited action)."""
    ctx = _ctx(request)
    if not viewer.sees_personal_data:
        return error(403, "personal_data_not_allowed", f"the {viewer.role} role sees personal data masked only")
    try:
        sequence = int(request.path_params["sequence"])
        reason = str((await request.json()).get("reason", "")).strip()
    except Exception:
        return error(400, "bad_request", "a dead letter's sequence and a reason are required")
    if not reason:
        return error(400, "reason_required", "reading personal data needs a reason")
    try:
        letter = await ctx.bus.dead_letters.get(sequence)
    except JjjError as failure:
        return error(404, "not_found", str(failure))
    view = letter_view(letter, viewer, with_envelope=False)
    allowed = viewer.sees_tokens(letter.receiver_token, letter.sender_token)
    ctx.actions.record(OperatorAction("read_personal_data", viewer.name, reason, "shown" if allowed else "refused:forbidden",
                                      sequence, view["envelope_id"], view["case_id"], letter.letter.subject, letter.letter.envelope))
    log.info("console_personal_data_read", operator=viewer.name, sequence=sequence, case_id=view["case_id"], shown=allowed)
    if not allowed:
        return error(403, "forbidden", "this dead letter does not touch your jurisdiction")
    return JSONResponse({**view, "envelope": envelope_view(letter.letter.envelope, personal_data=True)})


async def actions(request: Request, viewer: Principal) -> Response:
    ctx = _ctx(request)
    rows = []
    for record in ctx.actions.records():
        token = record.destination.split(".")[2] if record.destination.count(".") == 3 else ""
        if not viewer.sees_tokens(token) and record.sender != f"operator:{viewer.name}":
            continue
        rows.append({"seq": record.seq, "at": record.at, "action": record.kind.removeprefix("operator_"),
                     "operator": record.sender.removeprefix("operator:"), "subject": record.destination,
                     "outcome": record.status, "reason": record.step, "envelope_id": record.envelope_id,
                     "case_id": record.case_id, "dead_letter": record.key_id.removeprefix("dead_letter:")})
    return JSONResponse({"actions": rows})


def refusal(failure: RedriveRefused | JjjError) -> str:
    return f"refused:{type(failure).__name__}"
