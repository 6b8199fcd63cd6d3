"""The federation's certificates: a CA and one certificate per principal, made with `cryptography`.

`jjj certs init` (and `jjj up` on a fresh data directory) calls `init_pki`: a
development CA and, signed by it, one certificate per principal. A principal is
one identity everywhere: the nats-server's certificate, the operator's, the
gateway's and each adapter's (its gRPC server certificate and its identity on the
bus, both), and one member-system client certificate per jurisdiction. Keys are
EC P-256 (fast to make and to handshake), written 0600 in a 0700 directory.
Production certificates come from the deployment's own CA and are configured by
path (kernel.config.TlsSettings); nothing here is needed for them.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kernel import jurisdictions

ORGANISATION = "jjj-exchange"
CA_NAME = "ca"
NATS_SERVER = "nats-server"
OPERATOR = "operator"
GATEWAY = "gateway"
DEFAULT_DAYS = 825
CA_DAYS = 3650
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def adapter_principal(jurisdiction: str) -> str:
    return f"adapter-{jurisdiction}"


def member_system_principal(jurisdiction: str) -> str:
    return f"member-{jurisdiction}"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a certificate names: `kind` is its OU (what it is), `name` its CN (which one)."""

    name: str
    kind: str
    server: bool = False  # also a TLS server (gRPC or NATS), so it carries the host names
    client: bool = True


def principals() -> tuple[Principal, ...]:
    """Every identity `jjj certs init` makes, in a stable order."""
    members = jurisdictions.names()
    return (
        # Also a client: a cluster node dials its routes, a jurisdiction's server its leaf link to the hub.
        Principal(NATS_SERVER, "bus", server=True, client=True),
        Principal(OPERATOR, "operator"),
        Principal(GATEWAY, "gateway", server=True),
        *(Principal(adapter_principal(name), "adapter", server=True) for name in members),
        *(Principal(member_system_principal(name), "member-system") for name in members),
    )


@dataclass(frozen=True, slots=True)
class PkiLayout:
    """Where a PKI directory keeps its files: <dir>/<principal>.crt and .key, ca.crt, registry.yaml."""

    root: Path

    @property
    def ca_cert(self) -> Path:
        return self.root / f"{CA_NAME}.crt"

    @property
    def ca_key(self) -> Path:
        return self.root / f"{CA_NAME}.key"

    def cert(self, principal: str) -> Path:
        return self.root / f"{principal}.crt"

    def key(self, principal: str) -> Path:
        return self.root / f"{principal}.key"

    @property
    def registry(self) -> Path:
        return self.root / "registry.yaml"

    def exists(self) -> bool:
        return self.ca_cert.is_file()


@dataclass(frozen=True, slots=True)
class Issued:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def subject_name(name: str, kind: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, kind),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
    ])


def subject_string(certificate: x509.Certificate) -> str:
    """The subject as RFC 4514 writes it (most specific first): what nats-server maps to a user."""
    return certificate.subject.rfc4514_string()


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, lower-case hex: the identity the member registry keys on."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def normalise_fingerprint(text: str) -> str:
    """Accepts `openssl x509 -fingerprint -sha256` output (colons, upper case) or plain hex."""
    value = text.strip().split("=", 1)[-1].replace(":", "").lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"not a SHA-256 fingerprint: {text!r}")
    return value


def common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def load_certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def new_ca(*, now: datetime | None = None, days: int = CA_DAYS, name: str = "jjj-exchange development CA") -> Issued:
    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = subject_name(name, "certificate-authority")
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(certificate, key)


def _alternative_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def issue(ca: Issued, principal: Principal, *, hosts: Iterable[str] = LOOPBACK_NAMES, days: int = DEFAULT_DAYS,
          not_before: datetime | None = None, not_after: datetime | None = None) -> Issued:
    """A certificate for `principal` signed by `ca`; explicit validity bounds let tests make expired ones."""
    now = datetime.now(UTC)
    start = not_before or now - timedelta(minutes=5)
    end = not_after or now + timedelta(days=days)
    key = ec.generate_private_key(ec.SECP256R1())
    usages = ([ExtendedKeyUsageOID.SERVER_AUTH] if principal.server else []) + (
        [ExtendedKeyUsageOID.CLIENT_AUTH] if principal.client else [])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject_name(principal.name, principal.kind)).issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    )
    if principal.server:
        builder = builder.add_extension(x509.SubjectAlternativeName([_alternative_name(h) for h in hosts]), critical=False)
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


def write_private(path: Path, data: bytes) -> None:
    """Written 0600 from the start (never readable by others, not even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def write_issued(layout: PkiLayout, name: str, issued: Issued) -> None:
    write_private(layout.key(name), issued.key_pem)
    layout.cert(name).write_bytes(issued.cert_pem)
    layout.cert(name).chmod(0o644)


def load_ca(layout: PkiLayout) -> Issued:
    key = serialization.load_pem_private_key(layout.ca_key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{layout.ca_key}: not an EC key")
    return Issued(load_certificate(layout.ca_cert), key)


def init_pki(root: Path, *, hosts: Iterable[str] = LOOPBACK_NAMES, days: int = DEFAULT_DAYS) -> tuple[PkiLayout, list[str]]:
    """Make the CA (if absent) and every principal's certificate that is missing; returns what was made.

    Idempotent: an existing CA and existing certificates are kept, so running it
    again on a data directory only fills gaps.
    """
    layout = PkiLayout(root)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    root.chmod(0o700)
    made: list[str] = []
    if layout.exists():
        ca = load_ca(layout)
    else:
        ca = new_ca()
        write_private(layout.ca_key, ca.key_pem)
        layout.ca_cert.write_bytes(ca.cert_pem)
        made.append(CA_NAME)
    hosts = tuple(hosts)
    for principal in principals():
        if layout.cert(principal.name).is_file() and layout.key(principal.name).is_file():
            continue
        write_issued(layout, principal.name, issue(ca, principal, hosts=hosts, days=days))
        made.append(principal.name)
    return layout, made
