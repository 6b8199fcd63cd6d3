"""The commands of a member system's engineer on a running federation (`jjj up`).

  jjj submit J FILE [--to J] [--transfer] [--request-id ID] [--note N] [--batch N]
  jjj inbox J [--follow] [--ack] [--flow F ...] [--idle S] [--save DIR]
  jjj step J CASE_ID STATUS [--reason R] [--note N] [--actor A] [--at TIME] [--return-reason CODE]
           [--closing PATH [--merged-into CASE_ID]] [--event TYPE] [--extension STEP:AMOUNT]
           [--coordination BODY [--return-upheld] [--decision D]] [--satisfaction S]
  jjj case CASE_ID [--as J]            the cross-region trail, from the gateway
  jjj share J --topic T [--title T] [--body B] [--to J ...] [--classification C] [--document FILE]
  jjj status                           health of nats-server, the gateway and every adapter

Each reads the state file `jjj up` writes (<data_dir>/federation.json; --state PATH
names another) and calls as the jurisdiction's member system (its certificate from
the state file). Tables on a terminal, JSON with --json (one object per line for
inbox). Statuses by name: STATUS_RECEIVED, received, or signed (签收).

Exit codes:
  0  done (status: everything serving)
  1  the federation said no (a rejected document or row, a refused step, ...): the
     reason is printed, with the field and what to do; status: a process not serving
  2  usage: an unknown jurisdiction, status or flow, a missing file
  3  the federation is not running or not reachable (no state file, nobody answers,
     or an adapter without its bus)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from cli import render
from harness import names
from harness.client import GatewayClient, MemberClient, health, nats_reachable, origin_of
from harness.errors import Refused
from harness.state import FederationNotRunning, FederationState
from kernel import jurisdictions
from kernel.errors import InvalidRequest, UnknownJurisdiction

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
COMMANDS = ("submit", "inbox", "step", "case", "share", "status")
SERVING_NAMES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}
EXIT_CODES_HELP = ("exit codes: 0 done, 1 the federation said no (reason and field printed), 2 usage, "
                   "3 federation not running or unreachable")


def add_parsers(commands) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state", type=Path, default=None,
                        help="the federation's state file (default <data_dir>/federation.json, JJJ_DATA_DIR)")
    common.add_argument("--json", action="store_true", help="JSON on stdout instead of tables")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[common], help=help_text, description=help_text, epilog=EXIT_CODES_HELP)

    submit = add("submit", "submit a native document as a member system: referrals, or hotline transfers")
    submit.add_argument("jurisdiction", help="the submitting member (beijing, tianjin, hebei)")
    submit.add_argument("file", type=Path, help="a document in the member's own format, or .jsonl of common cases")
    submit.add_argument("--to", default=None, help="destination member; default: competent by the case's location")
    submit.add_argument("--transfer", action="store_true", help="as hotline transfers (热线转派) instead of referrals")
    submit.add_argument("--request-id", default=None, help="makes a retry idempotent (default: a new one)")
    submit.add_argument("--note", default="")
    submit.add_argument("--batch", type=int, default=None,
                        help="cases per SubmitDocument call for a big document (default 200; 0: one call)")

    inbox = add("inbox", "read a member's inbox: referrals, transfers, status updates, shares")
    inbox.add_argument("jurisdiction")
    inbox.add_argument("--follow", action="store_true", help="keep reading until Ctrl-C")
    inbox.add_argument("--ack", action="store_true", help="acknowledge each item (otherwise it comes again)")
    inbox.add_argument("--flow", action="append", default=[], help="referral, transfer, status, share (repeatable)")
    inbox.add_argument("--idle", type=float, default=2.0, help="without --follow: stop after this many quiet seconds")
    inbox.add_argument("--save", type=Path, default=None, help="write each item's native document into this directory")

    step = add("step", "report a lifecycle step of a case")
    step.add_argument("jurisdiction")
    step.add_argument("case_id")
    step.add_argument("status", help="STATUS_RECEIVED, received, signed, accepted, returned, ...")
    step.add_argument("--reason", default="", help="required for returned and not_accepted")
    step.add_argument("--note", default="")
    step.add_argument("--actor", default="")
    step.add_argument("--at", default=None, metavar="TIME", help="when it happened, ISO 8601 (default now; no zone: Beijing time)")
    step.add_argument("--return-reason", default="", metavar="CODE",
                      help="a return's code (退单): not_ours, wrong_place, incomplete, duplicate, other")
    step.add_argument("--closing", default="", metavar="PATH",
                      help="closed otherwise than handled: withdrawn, merged (with --merged-into), informed, false_or_malicious")
    step.add_argument("--merged-into", default="", metavar="CASE_ID", help="with --closing merged: the earlier case")
    step.add_argument("--event", default="", metavar="TYPE",
                      help="a step repeating the status: note, urging, supervision, extension, reply_delivered, ...")
    step.add_argument("--extension", default=None, metavar="STEP:AMOUNT",
                      help="延期 of a clock of schemas/deadlines.yaml, e.g. petition_handle:30 (with --reason)")
    step.add_argument("--coordination", default="", metavar="BODY",
                      help="a coordination decision (协调) on a disputed return: the body that decided")
    step.add_argument("--return-upheld", action="store_true",
                      help="with --coordination: the return stands (otherwise it is overruled)")
    step.add_argument("--decision", default="", help="with --coordination: what was decided")
    step.add_argument("--satisfaction", default="", help="with evaluated: satisfied, basically_satisfied, unsatisfied")

    case = add("case", "a case's cross-region trail as the gateway saw it")
    case.add_argument("case_id")
    case.add_argument("--as", dest="as_member", default=None, help="call as this member (default: the case's origin)")

    share = add("share", "share information: a notice, statistics, an early warning, case digests")
    share.add_argument("jurisdiction")
    share.add_argument("--topic", default="notice", help="notice, statistics, early_warning, case_digest, status_sync")
    share.add_argument("--classification", default="internal", help="public, internal, restricted")
    share.add_argument("--to", action="append", default=[], help="audience member (repeatable); default every other")
    share.add_argument("--title", default="")
    share.add_argument("--body", default="")
    share.add_argument("--document", type=Path, default=None, help="cases to share as digests (masked before leaving)")
    share.add_argument("--request-id", default=None)

    add("status", "health of every process of the running federation")


def run(args) -> int:
    try:
        state = FederationState.load(args.state)
        return asyncio.run(_COMMANDS[args.command](state, args))
    except Refused as refused:
        render.refusal(args.command, refused.refusal, as_json=args.json)
        return EXIT_UNREACHABLE if refused.refusal.code == "UNAVAILABLE" else EXIT_REFUSED
    except FederationNotRunning as error:
        render.problem(args.command, str(error), as_json=args.json, kind="federation_not_running")
        return EXIT_UNREACHABLE
    except (UnknownJurisdiction, InvalidRequest) as error:
        render.problem(args.command, str(error), as_json=args.json, kind="usage")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK


def _readable(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidRequest(f"{path}: {error.strerror}") from None


async def _submit(state: FederationState, args) -> int:
    content = _readable(args.file)
    if args.to:
        names.jurisdiction(args.to)  # an unknown destination is a usage error before anything is sent
    async with MemberClient(state, args.jurisdiction) as client:
        with _progress(enabled=not args.json) as report:
            response = await client.submit(content, to=args.to, transfer=args.transfer, request_id=args.request_id,
                                           filename=args.file.name, note=args.note,
                                           cases_per_call=args.batch, progress=report)
    render.submission(response, as_json=args.json)
    return EXIT_REFUSED if response.rejections else EXIT_OK


class _progress:
    """A rich progress bar on stderr for a document sent in several calls; silent off a terminal."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None
        self.task = None

    def __enter__(self):
        return self.update

    def update(self, sent: int, total: int) -> None:
        if not self.enabled or (self.bar is None and sent >= total):
            return  # one call: nothing to watch
        if self.bar is None:
            from rich.progress import Progress

            self.bar = Progress(console=render.console(sys.stderr), transient=False)
            self.bar.start()
            self.task = self.bar.add_task("submitting cases", total=total)
        self.bar.update(self.task, completed=sent)

    def __exit__(self, *_exc) -> None:
        if self.bar is not None:
            self.bar.stop()


async def _inbox(state: FederationState, args) -> int:
    flows = [names.flow(flow) for flow in args.flow]
    if args.save is not None:
        args.save.mkdir(parents=True, exist_ok=True)
    out = render.console()
    count = 0
    async with MemberClient(state, args.jurisdiction) as client:
        async for item in client.inbox(follow=args.follow, flows=flows, idle_seconds=args.idle):
            if args.save is not None and item.native.content:
                _save(args.save, item)
            if args.ack:
                await client.ack(item.item_id)
            render.inbox_line(item, as_json=args.json, acknowledged=args.ack, out=out)
            count += 1
    if not args.json:
        print(f"{count} item(s){'' if args.ack else ', not acknowledged: they come again'}", file=sys.stderr)
    return EXIT_OK


def _save(directory: Path, item) -> None:
    from harness.items import case_id_of

    suffix = Path(item.native.filename).suffix or ".bin"
    name = (case_id_of(item) or item.item_id).replace(":", "_").replace("/", "_")
    (directory / f"{name}{suffix}").write_bytes(item.native.content)


async def _step(state: FederationState, args) -> int:
    status = names.status(args.status)
    options = step_options(args)
    async with MemberClient(state, args.jurisdiction) as client:
        response = await client.step(args.case_id, status, reason=args.reason, note=args.note, actor=args.actor,
                                     **options)
    render.step(response, as_json=args.json)
    return EXIT_OK


def step_options(args) -> dict:
    """MemberClient.step's keyword arguments from `jjj step`'s flags (InvalidRequest naming a bad one)."""
    from datetime import datetime, timedelta, timezone

    from jjj.case.v1 import case_pb2

    options: dict = {}
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            raise InvalidRequest(f"--at {args.at!r} is no ISO 8601 time (2026-11-24T09:30:00+08:00)",
                                 violations=[("at", "an ISO 8601 time")]) from None
        options["at"] = at if at.tzinfo else at.replace(tzinfo=timezone(timedelta(hours=8)))
    if args.return_reason:
        options["return_reason"] = names.return_reason(args.return_reason)
    if args.closing:
        options["closing"] = names.closing(args.closing)
    if args.merged_into:
        options["merged_into"] = args.merged_into
    if args.event:
        options["event_type"] = names.event_type(args.event)
    if args.extension:
        step, _, amount = args.extension.rpartition(":")
        if not step or not amount.isdigit():
            raise InvalidRequest(f"--extension {args.extension!r}: STEP:AMOUNT, e.g. petition_handle:30",
                                 violations=[("extension", "STEP:AMOUNT")])
        options["extension"] = (step, int(amount))
    if args.coordination:
        options["coordination"] = case_pb2.CoordinationDecision(body=args.coordination, return_upheld=args.return_upheld,
                                                                decision=args.decision)
    elif args.return_upheld or args.decision:
        raise InvalidRequest("--return-upheld and --decision go with --coordination BODY",
                             violations=[("coordination", "the body that decided")])
    if args.satisfaction:
        satisfaction = names.satisfaction(args.satisfaction)
        options["feedback"] = case_pb2.Feedback(contacted=True, satisfaction=satisfaction,
                                                resolved=satisfaction != case_pb2.SATISFACTION_UNSATISFIED)
    return options


async def _case(state: FederationState, args) -> int:
    member = args.as_member or origin_of(args.case_id) or jurisdictions.names()[0]
    async with GatewayClient(state, as_member=member) as gateway:
        response = await gateway.case_trail(args.case_id)
    render.trail(response, as_json=args.json)
    return EXIT_OK


async def _share(state: FederationState, args) -> int:
    document = _readable(args.document) if args.document else None
    topic, classification = names.share_topic(args.topic), names.classification(args.classification)
    audience = [names.member_name(names.jurisdiction(member)) for member in args.to]
    async with MemberClient(state, args.jurisdiction) as client:
        response = await client.share(topic=topic, classification=classification, audience=audience, title=args.title,
                                      body=args.body, document=document,
                                      filename=args.document.name if args.document else "", request_id=args.request_id)
    render.shared(response, as_json=args.json)
    return EXIT_REFUSED if response.rejections else EXIT_OK


async def _status(state: FederationState, args) -> int:
    from harness.processes import running

    files = state.operator_files()
    rows = []
    unreachable = await nats_reachable(state)
    rows.append({"process": "nats", "address": state.nats_url, "pid": state.pids.get("nats"),
                 "running": running(state.pids.get("nats")), "health": "SERVING" if unreachable is None else "UNREACHABLE",
                 "detail": unreachable or "accepts the operator's certificate", "healthy": unreachable is None})
    for role, endpoint in [("gateway", state.gateway), *state.adapters.items()]:
        answered = await health(endpoint, files)
        certificate = await health(endpoint, files, service="jjj.tls.certificate") if answered is not None else None
        detail = "" if certificate in (None, 1) else "certificate expires soon (jjj.tls.certificate NOT_SERVING)"
        rows.append({"process": role, "address": endpoint.address, "pid": state.pids.get(role),
                     "running": running(state.pids.get(role)),
                     "health": "UNREACHABLE" if answered is None else SERVING_NAMES.get(answered, str(answered)),
                     "detail": detail or ("nobody answers" if answered is None else ""), "healthy": answered == 1})
    render.status(rows, as_json=args.json)
    if not any(row["healthy"] for row in rows):
        return EXIT_UNREACHABLE
    return EXIT_OK if all(row["healthy"] for row in rows) else EXIT_REFUSED


_COMMANDS = {"submit": _submit, "inbox": _inbox, "step": _step, "case": _case, "share": _share, "status": _status}
