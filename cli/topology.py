"""`jjj config nats`: the production bus, generated (docs/TOPOLOGY.md).

One nats-server (or cluster) per jurisdiction, each its own JetStream domain named after
it, joined as a leaf node to the federation's hub (domain `hub`). Every domain has the
federation's streams under their usual names, so an adapter and the gateway run unchanged
against their local server:

- in a jurisdiction's domain a flow's stream takes what its own adapter publishes
  (`jjj.<flow>.*.<token>`, sender last) and *sources* from the hub what is addressed to it
  (`jjj.<flow>.<token>.*`); its KV buckets and dead letters are its own;
- in the hub's domain a flow's stream takes what the federation itself publishes
  (`jjj.<flow>.*.fed`) and sources every jurisdiction's sends; dead letters are sourced
  too, audit anchors stay at the hub (the gateway runs there).

A stream takes only subjects sent in its own domain, so nothing is captured twice; a
source only takes the other side's own sends (or what is addressed to it), so nothing
loops. While a jurisdiction's link to the hub is down, its members' calls keep being
accepted into its own streams; sources resume where they stopped once it is back.

  jjj config nats --output DIR [--loopback --base-port P] [--hub-url URL] [--tls-dir DIR] [--leaf-user SUBJECT]...
  jjj config nats --provision DOMAIN     declare DOMAIN's streams and buckets (operator, JJJ_NATS_URL)
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from nats.js import JetStreamContext, api
from nats.js.errors import BadRequestError

from cli import natsauth, natsserver
from kernel import jurisdictions
from kernel.bus import jetstream, subjects
from kernel.config import Settings
from kernel.errors import BusError
from kernel.security import pki
from kernel.security.tls import TlsFiles, client_context

HUB = "hub"
EXIT_OK, EXIT_FAILED = 0, 1
CLIENT_PORT, LEAF_PORT = 4222, 7422
PRODUCTION_HUB_URL = "tls://jjj-hub.example.gov.cn:7422"
PRODUCTION_TLS_DIR = Path("/etc/jjj/pki")
PRODUCTION_STORE_ROOT = Path("/var/lib/jjj/nats")
STORE_KEY_VARIABLE = "JJJ_BUS_STORE_KEY"


@dataclass(frozen=True, slots=True)
class Variable:
    """A value nats-server reads from its environment when it starts ($NAME): secrets stay out of the file."""

    name: str


@dataclass(frozen=True, slots=True)
class Server:
    """One server of the topology: the hub or a jurisdiction's (its domain is its name)."""

    domain: str
    host: str
    port: int
    store_dir: Path
    store_key: str | Variable
    leaf_port: int | None = None  # the hub's, where the jurisdictions' servers connect


@dataclass(frozen=True, slots=True)
class Topology:
    hub: Server
    sites: tuple[Server, ...]
    hub_url: str  # where a jurisdiction's server dials the hub's leaf node port
    tls: TlsFiles  # the server certificate each server presents (and checks the others' against the CA)
    sync_interval: str

    @property
    def servers(self) -> tuple[Server, ...]:
        return (self.hub, *self.sites)


def plan(*, output: Path, loopback: bool, base_port: int, hub_url: str | None, tls_dir: Path | None,
         layout: pki.PkiLayout | None, sync_interval: str) -> Topology:
    """Where everything runs: on loopback from `base_port` (tests, a rehearsal), or production placeholders."""
    names = [HUB, *jurisdictions.names()]
    if loopback:
        ports = {name: base_port + index for index, name in enumerate(names)}
        leaf_port = base_port + len(names)
        stores = {name: output / name / "jetstream" for name in names}
        keys: dict[str, str | Variable] = {name: natsserver.local_store_key(_private_dir(output / name)) for name in names}
        host, hub_url = "127.0.0.1", f"tls://127.0.0.1:{leaf_port}"
    else:
        ports = dict.fromkeys(names, CLIENT_PORT)
        leaf_port = LEAF_PORT
        stores = {name: PRODUCTION_STORE_ROOT / name for name in names}
        keys = dict.fromkeys(names, Variable(STORE_KEY_VARIABLE))
        host, hub_url = "0.0.0.0", hub_url or PRODUCTION_HUB_URL
    if loopback and tls_dir is None and layout is not None:
        tls = TlsFiles(layout.ca_cert, layout.cert(pki.NATS_SERVER), layout.key(pki.NATS_SERVER))
    else:  # where the deployment installs them (placeholders until it does)
        root = tls_dir or PRODUCTION_TLS_DIR
        tls = TlsFiles(root / "ca.crt", root / f"{pki.NATS_SERVER}.crt", root / f"{pki.NATS_SERVER}.key")
    servers = {name: Server(name, host, ports[name], stores[name], keys[name], leaf_port if name == HUB else None)
               for name in names}
    return Topology(servers[HUB], tuple(servers[name] for name in names[1:]), hub_url, tls, sync_interval)


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _tls(files: TlsFiles) -> dict:
    return {"cert_file": str(files.cert_file), "key_file": str(files.key_file), "ca_file": str(files.ca_file), "timeout": 2}


def server_config(topology: Topology, server: Server, users: list[dict], leaf_users: list[str]) -> dict:
    """One server's nats-server configuration: the single node's TLS and users, its domain, its leaf link.

    The hub admits as leaf nodes only the servers whose certificate subjects are `leaf_users`
    (mutual TLS, mapped like the clients)."""
    store = {"domain": server.domain, "store_dir": str(server.store_dir), "cipher": "chachapoly", "key": server.store_key}
    if topology.sync_interval != natsserver.DEFAULT_SYNC_INTERVAL:
        store["sync_interval"] = topology.sync_interval
    config = {
        "server_name": f"jjj-{server.domain}",
        "host": server.host,
        "port": server.port,
        "jetstream": store,
        "tls": {**_tls(topology.tls), "verify_and_map": True},
        "authorization": {"users": users},
    }
    if server.leaf_port is not None:
        config["leafnodes"] = {"host": server.host, "port": server.leaf_port,
                               "tls": {**_tls(topology.tls), "verify_and_map": True},
                               "authorization": {"users": [{"user": subject} for subject in leaf_users]}}
    else:
        config["leafnodes"] = {"remotes": [{"urls": [topology.hub_url], "tls": _tls(topology.tls)}]}
    return config


def _flow_tokens() -> list[tuple[str, tuple[str, ...]]]:
    return [(route.stream, (route.token, *route.internal_tokens)) for route in subjects.FLOW_ROUTES]


def _stream(name: str, stream_subjects: list[str], sources: list[api.StreamSource], *, duplicate_window: float,
            replicas: int) -> api.StreamConfig:
    return api.StreamConfig(name=name, subjects=stream_subjects or None, sources=sources or None,
                            storage=api.StorageType.FILE, retention=api.RetentionPolicy.LIMITS,
                            duplicate_window=duplicate_window, allow_direct=True, num_replicas=replicas)


def _source(stream: str, filter_subject: str, domain: str) -> api.StreamSource:
    return api.StreamSource(name=stream, filter_subject=filter_subject, external=api.ExternalStream(api=f"$JS.{domain}.API"))


def stream_definitions(*, duplicate_window: float, replicas: int = 1) -> dict[str, list[api.StreamConfig]]:
    """Domain -> its streams: the sources that carry each jurisdiction's sends to the hub and back out."""
    members = jurisdictions.members()
    fed = subjects.FEDERATION_TOKEN
    hub = [
        _stream(stream, [f"jjj.{token}.*.{fed}" for token in tokens],
                [_source(stream, f"jjj.{token}.*.{member.token}", member.name) for member in members for token in tokens],
                duplicate_window=duplicate_window, replicas=replicas)
        for stream, tokens in _flow_tokens()
    ]
    dead = subjects.DEAD_LETTER_TOKEN
    hub.append(_stream(subjects.DEAD_LETTER_STREAM, [f"jjj.{dead}.{fed}.*"],
                       [_source(subjects.DEAD_LETTER_STREAM, f"jjj.{dead}.{member.token}.*", member.name) for member in members],
                       duplicate_window=duplicate_window, replicas=replicas))
    hub.append(_stream(subjects.AUDIT_ANCHOR_STREAM, [subjects.AUDIT_ANCHOR_SUBJECT], [],
                       duplicate_window=duplicate_window, replicas=replicas))
    definitions = {HUB: hub}
    for member in members:
        definitions[member.name] = [
            _stream(stream, [f"jjj.{token}.*.{member.token}" for token in tokens],
                    [_source(stream, f"jjj.{token}.{member.token}.*", HUB) for token in tokens],
                    duplicate_window=duplicate_window, replicas=replicas)
            for stream, tokens in _flow_tokens()
        ] + [_stream(subjects.DEAD_LETTER_STREAM, [f"jjj.{dead}.{member.token}.*"], [],
                     duplicate_window=duplicate_window, replicas=replicas)]
    return definitions


def bucket_definitions() -> dict[str, list[tuple[str, float | None]]]:
    """Domain -> its KV buckets: each member's own, in its own domain."""
    found: dict[str, list[tuple[str, float | None]]] = {HUB: []}
    for member in jurisdictions.members():
        found[member.name] = [(subjects.cases_bucket(member), None),
                              (subjects.requests_bucket(member), subjects.REQUESTS_TTL_SECONDS)]
    return found


def render(value, indent: int = 0) -> str:
    """nats-server configuration syntax (a superset of JSON) with `$VARIABLE` references left unquoted."""
    pad = "  " * (indent + 1)
    if isinstance(value, Variable):
        return f"${value.name}"
    if isinstance(value, dict):
        inner = "\n".join(f"{pad}{json.dumps(key)}: {render(item, indent + 1)}" for key, item in value.items())
        return "{\n" + inner + "\n" + "  " * indent + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + "\n".join(f"{pad}{render(item, indent + 1)}" for item in value) + "\n" + "  " * indent + "]"
    return json.dumps(value)


def write(output: Path, topology: Topology, users: list[dict], leaf_users: list[str], *, duplicate_window: float,
          replicas: int = 1) -> list[Path]:
    """Writes <domain>.conf per server and streams/<domain>/<STREAM>.json (`nats stream add --config`)."""
    written = []
    _private_dir(output)
    for server in topology.servers:
        path = output / f"{server.domain}.conf"
        path.touch(mode=0o600)
        path.write_text(f"# jjj-exchange: JetStream domain {server.domain!r} (docs/TOPOLOGY.md)\n"
                        + render(server_config(topology, server, users, leaf_users)) + "\n", encoding="utf-8")
        written.append(path)
    for domain, streams in stream_definitions(duplicate_window=duplicate_window, replicas=replicas).items():
        folder = output / "streams" / domain
        folder.mkdir(parents=True, exist_ok=True)
        for stream in streams:
            path = folder / f"{stream.name}.json"
            path.write_text(json.dumps(stream.as_dict(), indent=2) + "\n", encoding="utf-8")
            written.append(path)
        buckets = [{"bucket": bucket, "history": 1, "ttl_seconds": ttl} for bucket, ttl in bucket_definitions()[domain]]
        path = folder / "buckets.json"
        path.write_text(json.dumps(buckets, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


async def provision_domain(js: JetStreamContext, domain: str, *, duplicate_window: float, replicas: int = 1) -> list[str]:
    """Declares one domain's streams and buckets on its own server; idempotent, as `jetstream.provision`."""
    declared = []
    for config in stream_definitions(duplicate_window=duplicate_window, replicas=replicas)[domain]:
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)
        declared.append(config.name)
    return declared + await jetstream.declare_buckets(js, bucket_definitions()[domain], replicas=replicas)


async def provision(url: str, files: TlsFiles, domain: str, *, duplicate_window: float) -> list[str]:
    nc = await jetstream.connect(url, name="jjj-operator", tls=client_context(files.check()), principal=pki.OPERATOR,
                                 connect_timeout=10)
    try:
        with jetstream.bus_errors(f"provisioning domain {domain}"):
            return await provision_domain(nc.jetstream(), domain, duplicate_window=duplicate_window)
    finally:
        await nc.close()


def leaf_users_of(layout: pki.PkiLayout) -> list[str]:
    """The servers the hub admits as leaf nodes: the PKI's server certificate (a deployment lists each site's)."""
    return [pki.subject_string(pki.load_certificate(layout.cert(pki.NATS_SERVER)))]


def users_of(layout: pki.PkiLayout) -> list[dict]:
    subjects_of = {principal: pki.subject_string(pki.load_certificate(layout.cert(principal)))
                   for principal in natsauth.permissions()}
    return natsauth.users(subjects_of)


def command(settings: Settings, args) -> int:
    try:
        if args.provision:
            declared = asyncio.run(provision(settings.nats_url, settings.tls_files(pki.OPERATOR), args.provision,
                                              duplicate_window=settings.duplicate_window_seconds))
            print("\n".join(declared))
            return EXIT_OK
        if args.output is None:
            print("jjj config nats: --output DIR (or --provision DOMAIN)", file=sys.stderr)
            return EXIT_FAILED
        layout = settings.pki()
        if not layout.exists():
            print(f"jjj config nats: no PKI in {layout.root} (the users are its certificates' subjects): "
                  "`jjj certs init` or JJJ_TLS__PKI_DIR", file=sys.stderr)
            return EXIT_FAILED
        topology = plan(output=args.output, loopback=args.loopback, base_port=args.base_port, hub_url=args.hub_url,
                        tls_dir=args.tls_dir, layout=layout, sync_interval=settings.nats_server.sync_interval)
        leaf_users = args.leaf_user or leaf_users_of(layout)
        written = write(args.output, topology, users_of(layout), leaf_users, duplicate_window=settings.duplicate_window_seconds,
                        replicas=args.replicas)
    except (OSError, ValueError, BusError) as error:
        print(f"jjj config nats: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{len(written)} files in {args.output}: " + ", ".join(f"{s.domain}.conf" for s in topology.servers)
          + ", streams/<domain>/*.json")
    return EXIT_OK


def add_parser(commands) -> None:
    config = commands.add_parser("config", help="generated configuration for a deployment")
    kinds = config.add_subparsers(dest="kind", required=True)
    nats = kinds.add_parser("nats", help="the hub's and each jurisdiction's nats-server configs and streams (docs/TOPOLOGY.md)")
    nats.add_argument("--output", type=Path, default=None, help="directory to write into")
    nats.add_argument("--loopback", action="store_true", help="every server on 127.0.0.1, stores under DIR (a rehearsal)")
    nats.add_argument("--base-port", type=int, default=14222, help="with --loopback: the hub's client port; the others follow")
    nats.add_argument("--hub-url", default=None, help=f"where the jurisdictions reach the hub's leaf port (default {PRODUCTION_HUB_URL})")
    nats.add_argument("--tls-dir", type=Path, default=None,
                      help="the servers' CA, certificate and key paths as installed there (default: the PKI's, "
                           f"or {PRODUCTION_TLS_DIR} without --loopback)")
    nats.add_argument("--leaf-user", action="append", default=None, metavar="SUBJECT",
                      help="a jurisdiction server's certificate subject the hub admits as a leaf node (repeat; "
                           "default: the PKI's nats-server certificate)")
    nats.add_argument("--replicas", type=int, default=1, help="stream replicas (3 where each domain is a cluster of 3)")
    nats.add_argument("--provision", metavar="DOMAIN", default=None,
                      help="declare DOMAIN's streams and buckets on the server of JJJ_NATS_URL, as the operator")
