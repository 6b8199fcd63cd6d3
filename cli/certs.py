"""`jjj certs ...` and `jjj bus init`: the operator's commands for identities and the bus.

  jjj certs init [--dir DIR]             development CA + one certificate per principal, registry
  jjj certs register CERT --jurisdiction J [--name N] [--by WHO]
  jjj certs revoke FINGERPRINT|CERT --reason WHY [--by WHO]
  jjj certs list
  jjj bus init                           streams and KV buckets, as the operator principal
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from pathlib import Path

from kernel import audit, jurisdictions
from kernel.bus import jetstream
from kernel.config import Settings
from kernel.security import pki, registry
from kernel.security.tls import TlsFiles, client_context

EXIT_OK, EXIT_FAILED = 0, 1
INIT_BY = "jjj certs init"


def init(root: Path, *, registry_file: Path, audit_file: Path) -> tuple[pki.PkiLayout, list[str]]:
    """The development PKI and a registry of the development member systems (each for its own adapter)."""
    layout, made = pki.init_pki(root)
    registered = {system.sha256 for system in registry.load(registry_file)}
    for name in jurisdictions.names():
        certificate = pki.load_certificate(layout.cert(pki.member_system_principal(name)))
        if pki.fingerprint(certificate) not in registered:
            registry.register(registry_file, certificate, jurisdiction=name, by=INIT_BY, audit_file=audit_file)
    return layout, made


def init_for(settings: Settings, directory: Path | None = None) -> tuple[pki.PkiLayout, list[str]]:
    root = directory or settings.pki().root
    registry_file = pki.PkiLayout(root).registry if directory else settings.registry_file()
    return init(root, registry_file=registry_file, audit_file=settings.registry_audit_file())


def operator_files(layout: pki.PkiLayout) -> TlsFiles:
    return TlsFiles(layout.ca_cert, layout.cert(pki.OPERATOR), layout.key(pki.OPERATOR))


async def provision_bus(url: str, files: TlsFiles, *, duplicate_window: float, replicas: int = 1) -> list[str]:
    nc = await jetstream.connect(url, name="jjj-operator", tls=client_context(files.check()), principal=pki.OPERATOR,
                                 connect_timeout=10)
    try:
        return await jetstream.provision(nc.jetstream(), duplicate_window=duplicate_window, replicas=replicas)
    finally:
        await nc.close()


def member_system_lines(layout: pki.PkiLayout) -> list[str]:
    lines = [f"  member systems connect with mutual TLS: CA {layout.ca_cert}"]
    for name in jurisdictions.names():
        principal = pki.member_system_principal(name)
        lines.append(f"    {name:<8} {layout.cert(principal)}  {layout.key(principal)}")
    return lines


def command(settings: Settings, args) -> int:
    try:
        return _command(settings, args)
    except (registry.RegistryError, ValueError, OSError, jetstream.BusError) as error:
        print(f"jjj {args.command} {args.action}: {error}", file=sys.stderr)
        return EXIT_FAILED


def _command(settings: Settings, args) -> int:
    if args.command == "bus":
        files = settings.tls_files(pki.OPERATOR)
        declared = asyncio.run(provision_bus(settings.nats_url, files, duplicate_window=settings.duplicate_window_seconds))
        print("\n".join(declared))
        return EXIT_OK
    registry_file = settings.registry_file()
    audit_file = settings.registry_audit_file()
    if args.action == "init":
        layout, made = init_for(settings, args.dir)
        print(f"PKI in {layout.root}: made {', '.join(made) if made else 'nothing (all present)'}")
        print("\n".join(member_system_lines(layout)))
        return EXIT_OK
    by = getattr(args, "by", None) or getpass.getuser()
    if args.action == "register":
        certificate = pki.load_certificate(Path(args.target))
        system = registry.register(registry_file, certificate, jurisdiction=args.jurisdiction, by=by,
                                   audit_file=audit_file, name=args.name)
        print(f"registered {system.name} for {system.jurisdiction}: sha256 {system.sha256}")
        return EXIT_OK
    if args.action == "revoke":
        target = Path(args.target)
        digest = pki.fingerprint(pki.load_certificate(target)) if target.is_file() else args.target
        system = registry.revoke(registry_file, digest, by=by, reason=args.reason or "", audit_file=audit_file)
        print(f"revoked {system.name} ({system.sha256}) at {system.revoked_at}")
        return EXIT_OK
    if args.action == "audit":
        found = registry.verify_registry_audit(audit_file)
        for record in registry.read_registry_audit(audit_file):
            print(f"{record.seq:>5}  {record.at}  {record.status:<8} {record.envelope_id:<24} {record.destination:<8}"
                  f" by {record.sender}  sha256 {record.digest[:16]}  {record.step}")
        if isinstance(found, audit.Finding):
            print(f"jjj certs audit: {audit_file}: {found}", file=sys.stderr)
            return EXIT_FAILED
        print(f"{found.records} records, chain intact (head {found.head[:16]})")
        return EXIT_OK
    for system in registry.load(registry_file):
        state = f"revoked {system.revoked_at} by {system.revoked_by}: {system.revocation_reason}" if not system.active else "active"
        print(f"{system.sha256}  {system.jurisdiction:<8} {system.name:<24} registered {system.registered_at}"
              f" by {system.registered_by}  {state}")
    return EXIT_OK


def add_parsers(commands) -> None:
    certs = commands.add_parser("certs", help="the federation's certificates and the member-system registry (系统备案)")
    actions = certs.add_subparsers(dest="action", required=True)
    init_parser = actions.add_parser("init", help="make a development CA and one certificate per principal")
    init_parser.add_argument("--dir", type=Path, default=None, help="PKI directory (default <data_dir>/pki)")
    register = actions.add_parser("register", help="allow a member system's certificate to call its adapter")
    register.add_argument("target", metavar="CERT", help="the member system's client certificate (PEM)")
    register.add_argument("--jurisdiction", choices=jurisdictions.names(), required=True)
    register.add_argument("--name", default=None, help="the system's name (default: the certificate's CN)")
    register.add_argument("--by", default=None, help="who registers it (default: the OS user)")
    revoke = actions.add_parser("revoke", help="refuse a registered member system from now on")
    revoke.add_argument("target", metavar="FINGERPRINT|CERT")
    revoke.add_argument("--reason", required=True)
    revoke.add_argument("--by", default=None)
    actions.add_parser("list", help="the registry: every system, active or revoked")
    actions.add_parser("audit", help="who registered and revoked which system; exit 1 if that record was tampered with")
    bus = commands.add_parser("bus", help="operator commands on the bus")
    bus_actions = bus.add_subparsers(dest="action", required=True)
    bus_actions.add_parser("init", help="create or update the streams and KV buckets (as the operator)")
