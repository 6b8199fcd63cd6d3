"""The `jjj` command.

  jjj up [--cluster N]           the local federation, supervised (N nats-server nodes, R N)
  jjj config nats --output DIR   the production bus: hub and per-jurisdiction leaf configs (docs/TOPOLOGY.md)
  jjj adapter {beijing|tianjin|hebei}   one adapter process
  jjj gateway                    the gateway (projection + query service)
  jjj map --from J FILE          native -> canonical JSON Lines of jjj.case.v1.Case
  jjj map --to J FILE.jsonl      JSON Lines of cases -> one native document
  jjj route --from J FILE        <case_id> <JURISDICTION_...> competent by location
  jjj quarantine list|show ID    rejected documents kept for an operator
  jjj certs init|register|revoke|list   certificates and the member-system registry (系统备案)
  jjj bus init                   streams and KV buckets, as the operator principal
  jjj keys init|rotate|list      signing keys (created by `jjj up` when missing)
  jjj audit verify|show CASE_ID  the gateway's hash-chained audit log
  jjj sim [--count N] [--only J | --except J]   simulated member systems (SIMULATED)
  jjj conformance run [PATH] [--member J --target HOST:PORT]   the conformance kit; JUnit XML
  jjj submit|inbox|step|case|share|status   a member system's engineer on the running federation
                                 (cli/engineer.py; exit 0 ok, 1 refused, 2 usage, 3 not running)
  jjj console [users add|disable|enable|passwd|list]   the operators' console, its operators
  jjj deadletters list|redrive|discard   refused messages, as the operator

Exit codes of map and route: 0 all accepted, 1 something rejected, 2 usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from kernel import jurisdictions

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jjj", description="jjj-exchange: the Jing-Jin-Ji case exchange gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start nats-server, the gateway and the three adapters")
    up.add_argument("--simulate", action="store_true", help="and simulated member systems (jjj sim), marked SIMULATED")
    up.add_argument("--cluster", type=int, default=1, metavar="N",
                    help="run N nats-server nodes as a JetStream cluster on loopback (streams replicated N times)")
    adapter = commands.add_parser("adapter", help="run one jurisdiction's adapter")
    adapter.add_argument("jurisdiction", choices=jurisdictions.names())
    adapter.add_argument("--port", type=int, default=None)
    gateway = commands.add_parser("gateway", help="run the gateway query service")
    gateway.add_argument("--port", type=int, default=None)
    mapping = commands.add_parser("map", help="translate between a native format and the common model")
    direction = mapping.add_mutually_exclusive_group(required=True)
    direction.add_argument("--from", dest="source", choices=jurisdictions.names())
    direction.add_argument("--to", dest="target", choices=jurisdictions.names())
    mapping.add_argument("file", type=Path)
    mapping.add_argument("--output", type=Path, default=None)
    route = commands.add_parser("route", help="the jurisdiction competent for each case by its location")
    route.add_argument("--from", dest="source", choices=jurisdictions.names(), required=True)
    route.add_argument("file", type=Path)
    quarantine = commands.add_parser("quarantine", help="rejected documents kept for an operator")
    quarantine.add_argument("action", choices=["list", "show"])
    quarantine.add_argument("quarantine_id", nargs="?", default="")
    quarantine.add_argument("--jurisdiction", choices=jurisdictions.names(), default=None)
    from cli import certs

    certs.add_parsers(commands)

    from cli import keys as keyscli

    keyscli.add_parser(commands)
    from cli import audit as auditcli

    auditcli.add_parser(commands)
    from cli import sim as simcli

    simcli.add_parser(commands)
    from cli import conformance as conformancecli

    conformancecli.add_parser(commands)
    from cli import engineer

    engineer.add_parsers(commands)

    from cli import console as consolecli, deadletters as deadletterscli

    consolecli.add_parser(commands)
    deadletterscli.add_parser(commands)
    from cli import topology

    topology.add_parser(commands)
    from cli import urge as urgecli

    urgecli.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from kernel import logs
    from kernel.config import Settings

    if args.command in ("map", "route"):
        from cli import mapping as mapcli

        if not args.file.is_file():
            print(f"jjj {args.command}: {args.file}: no such file", file=sys.stderr)
            return EXIT_USAGE
        if args.command == "route":
            return mapcli.route(args.source, args.file)
        if args.source:
            return mapcli.to_common(args.source, args.file)
        return mapcli.from_common(args.target, args.file, args.output)

    from cli import engineer

    if args.command in engineer.COMMANDS:
        return engineer.run(args)
    settings = Settings()
    if args.command == "quarantine":
        from cli import mapping as mapcli

        return mapcli.quarantine(settings.resolved_quarantine_dir(), args.action, args.quarantine_id, args.jurisdiction)
    if args.command in ("certs", "bus"):
        from cli import certs

        return certs.command(settings, args)
    if args.command == "keys":
        from cli import keys as keyscli

        return keyscli.run(settings, args)
    if args.command == "audit":
        from cli import audit as auditcli

        return auditcli.run(settings, args)
    if args.command in ("console", "deadletters"):
        from cli import console as consolecli, deadletters as deadletterscli

        return (consolecli if args.command == "console" else deadletterscli).run(settings, args)
    if args.command == "config":
        from cli import topology

        return topology.command(settings, args)
    logs.configure(settings.log_format, settings.log_level)
    if args.command == "urge":
        from cli import urge as urgecli

        return urgecli.run(settings, args)
    if args.command == "sim":
        from cli import sim as simcli

        return simcli.run(args)
    if args.command == "conformance":
        from cli import conformance as conformancecli

        return conformancecli.run(args)
    if args.command == "up":
        from cli.supervisor import up

        return up(settings, simulate=args.simulate, cluster_size=args.cluster)
    if args.command == "adapter":
        from adapters.service.app import start_adapter
        from kernel.rpc.server import serve_until_signalled

        asyncio.run(serve_until_signalled(lambda: start_adapter(args.jurisdiction, settings, port=args.port), heap=settings.heap))
        return EXIT_OK
    if args.command == "gateway":
        from kernel.rpc.server import serve_until_signalled
        from gateway.app import start_gateway

        asyncio.run(serve_until_signalled(lambda: start_gateway(settings, port=args.port), heap=settings.heap))
        return EXIT_OK
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
