"""`jjj deadletters list|redrive|discard`: what receivers refused, as the operator principal.

  jjj deadletters list [--all]                  open letters (with --all: handled ones too)
  jjj deadletters redrive SEQ... --reason WHY [--by WHO]   to the original subject, Jjj-Replay-Count + 1
  jjj deadletters discard SEQ... --reason WHY [--by WHO]

Every redrive and discard is recorded in the console's hash-chained action log
(<data_dir>/console/actions.sqlite3) with the operator's name. Exit 1 when any was refused.
"""

from __future__ import annotations

import asyncio
import getpass
import sys

from kernel.config import Settings


def add_parser(commands) -> None:
    letters = commands.add_parser("deadletters", help="dead letters: list, redrive to the destination, discard")
    letters.add_argument("action", choices=["list", "redrive", "discard"])
    letters.add_argument("sequences", nargs="*", type=int)
    letters.add_argument("--reason", default="")
    letters.add_argument("--by", default=getpass.getuser())
    letters.add_argument("--all", action="store_true")


def run(settings: Settings, args) -> int:
    if args.action != "list" and (not args.sequences or not args.reason.strip()):
        print(f"jjj deadletters {args.action}: give the sequence numbers and --reason", file=sys.stderr)
        return 2
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args) -> int:
    from kernel.bus import jetstream
    from kernel.bus.deadletters import DeadLetters
    from kernel.errors import JjjError
    from kernel.security import pki
    from kernel.security.tls import client_context
    from gateway.console.actions import ActionLog, OperatorAction
    from gateway.console.app import operator_files

    nc = await jetstream.connect(settings.nats_url, name="jjj-deadletters", tls=client_context(operator_files(settings).check()),
                                 principal=pki.OPERATOR, connect_timeout=10)
    letters = DeadLetters(nc.jetstream(), max_replays=settings.console.max_replays)
    try:
        if args.action == "list":
            for letter in await letters.list(include_handled=args.all):
                dead = letter.letter
                state = f"{letter.action.action} by {letter.action.by}" if letter.action else "open"
                print(f"{letter.sequence}\t{letter.reason_name.removeprefix('DEAD_LETTER_REASON_')}\t{dead.subject}\t"
                      f"{dead.envelope_id}\tdeliveries={dead.delivery_count}\treplays={dead.replay_count}\t{state}")
            return 0
        log = ActionLog(settings.console_actions_path())
        failed = 0
        try:
            for sequence in args.sequences:
                letter = None
                try:
                    letter = await letters.get(sequence)
                    act = letters.redrive if args.action == "redrive" else letters.discard
                    done = await act(sequence, by=args.by, reason=args.reason)
                    outcome = done.action
                    print(f"{sequence}: {done.action} (replay {done.replay_count})")
                except JjjError as error:
                    failed += 1
                    outcome = f"refused:{type(error).__name__}"
                    print(f"{sequence}: {error}", file=sys.stderr)
                    if letter is None:  # no such letter: nothing to record it against
                        continue
                log.record(OperatorAction(args.action, args.by, args.reason, outcome, sequence, letter.letter.envelope_id, "",
                                          letter.letter.subject, letter.letter.envelope))
        finally:
            log.close()
        return 1 if failed else 0
    finally:
        await nc.close()
