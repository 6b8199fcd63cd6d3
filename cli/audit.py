"""`jjj audit`: check the gateway's audit log, or print a case's records.

  jjj audit verify [--db PATH] [--anchors PATH] [--bus]   exit 0 intact, 1 naming the first bad record
  jjj audit show CASE_ID [--db PATH]                       the case's records, oldest first

--bus also holds the log against the anchors the gateway published on the bus
(JJJ_AUDIT_ANCHORS), so a log cut short together with its anchors file is found.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from gateway.audit.store import anchors_path, read_anchors, read_records
from kernel import audit
from kernel.config import Settings
from kernel.security import pki
from kernel.security.keys import KeyFileError, RegistryFile

EXIT_OK, EXIT_BROKEN, EXIT_USAGE = 0, 1, 2


def add_parser(commands) -> None:
    parser = commands.add_parser("audit", help="the audit log: verify the chain, show a case's records")
    actions = parser.add_subparsers(dest="action", required=True)
    verify = actions.add_parser("verify", help="find a changed, removed, reordered or truncated record")
    verify.add_argument("--db", type=Path, default=None)
    verify.add_argument("--anchors", type=Path, default=None)
    verify.add_argument("--bus", action="store_true", help="also use the anchors published on the bus")
    show = actions.add_parser("show", help="print one case's records")
    show.add_argument("case_id")
    show.add_argument("--db", type=Path, default=None)


def run(settings: Settings, args) -> int:
    db = args.db or settings.audit_path()
    if not db.is_file():
        print(f"jjj audit: no audit log at {db}", file=sys.stderr)
        return EXIT_USAGE
    if args.action == "show":
        return show(db, args.case_id)
    anchors = read_anchors(args.anchors or anchors_path(db))
    if args.bus:
        anchors += asyncio.run(_bus_anchors(settings.nats_url, settings.tls_files(pki.OPERATOR)))
    try:
        keys = RegistryFile(settings.key_registry_path())
    except KeyFileError as error:
        print(f"jjj audit: {error}", file=sys.stderr)
        return EXIT_USAGE
    outcome = audit.verify(read_records(db), anchors, keys)
    if isinstance(outcome, audit.Finding):
        print(f"audit log {db} is BROKEN at {outcome}", file=sys.stderr)
        return EXIT_BROKEN
    anchored = f"anchored up to record {outcome.anchored_at}" if outcome.anchored_at else "no anchor yet"
    print(f"audit log {db}: {outcome.records} records intact, head {outcome.head[:16]}, {anchored}")
    return EXIT_OK


def show(db: Path, case_id: str) -> int:
    records = read_records(db, case_id)
    if not records:
        print(f"jjj audit: no record of {case_id}", file=sys.stderr)
        return EXIT_BROKEN
    for r in records:
        print(f"{r.seq:>6}  {r.at}  {r.kind:<11} {r.sender:>10} -> {r.destination:<10} {r.step or '-':<20} {r.status:<12}"
              f" {r.envelope_id}  digest {r.digest[:16]}  key {r.key_id[:12] or '-'}")
    return EXIT_OK


async def _bus_anchors(url: str, files) -> list[audit.Anchor]:
    """The anchors on the bus, read as the operator (the only principal besides the gateway that may)."""
    from nats.js.errors import NotFoundError

    from kernel.bus import jetstream, subjects
    from kernel.security import pki
    from kernel.security.tls import client_context

    nc = await jetstream.connect(url, name="jjj-audit", tls=client_context(files.check()), principal=pki.OPERATOR,
                                 connect_timeout=5)
    try:
        js = nc.jetstream()
        info = await js.stream_info(subjects.AUDIT_ANCHOR_STREAM)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1 if info.state.messages else 0):
            try:
                found.append(audit.Anchor.from_json((await js.get_msg(subjects.AUDIT_ANCHOR_STREAM, seq)).data.decode()))
            except NotFoundError:
                continue
        return found
    finally:
        await nc.close()
