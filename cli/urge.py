"""`jjj urge CASE_ID --kind urging|supervision --reason WHY [--by BODY]`: the federation urges (催办) or
supervises (督办) a cross-border case.

Run where the gateway keeps its data: the case is looked up in the gateway's projection, and
the Supervision share goes, signed with the federation's key, to the case's holder and origin
over the bus (as the operator principal). The gateway's trail and measures count it.
Exit 0 when sent, 1 when refused (unknown case, closed case, no reason), 2 on usage.
"""

from __future__ import annotations

import asyncio
import sys

from kernel.config import Settings


def add_parser(commands) -> None:
    urge = commands.add_parser("urge", help="the federation urges (催办) or supervises (督办) a cross-border case")
    urge.add_argument("case_id")
    urge.add_argument("--kind", choices=["urging", "supervision"], default="urging")
    urge.add_argument("--reason", required=True)
    urge.add_argument("--by", default="", help="the supervising body (default: schemas/supervision.yaml default_body)")


def run(settings: Settings, args) -> int:
    return asyncio.run(urge(settings, args))


async def urge(settings: Settings, args) -> int:
    from gateway.console.app import operator_files
    from gateway.projection.store import SqliteProjection
    from gateway.supervision import add_supervision
    from kernel.bus import jetstream
    from kernel.errors import JjjError
    from kernel.security import pki
    from kernel.security.keys import FEDERATION, load_signer
    from kernel.security.tls import client_context

    projection = settings.data_dir / "gateway" / "projection.sqlite3"
    if not projection.is_file():
        print(f"jjj urge: no gateway projection at {projection} (run it where the gateway keeps its data)",
              file=sys.stderr)
        return 1
    signer = load_signer(settings.signing_key_path(FEDERATION), FEDERATION)
    store = SqliteProjection(projection)
    nc = await jetstream.connect(settings.nats_url, name="jjj-urge", tls=client_context(operator_files(settings).check()),
                                 principal=pki.OPERATOR, connect_timeout=10)
    try:
        ids = await add_supervision(nc.jetstream(), store, signer, args.case_id, args.kind, args.reason, args.by)
    except JjjError as error:
        print(f"jjj urge: {error}", file=sys.stderr)
        return 1
    finally:
        await nc.drain()
        store.close()
    for envelope_id in ids:
        print(envelope_id)
    return 0
