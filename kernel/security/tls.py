"""TLS contexts and gRPC credentials from a process's certificate files.

Every connection in the federation is mutually authenticated: the client checks
the server's certificate against the federation's CA, the server checks the
client's. A process has one certificate (its identity): the same files serve as
its gRPC server certificate and as its client identity on the bus.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import grpc
from kernel.errors import ConfigurationError


class TlsConfigurationError(ConfigurationError, RuntimeError):
    """A certificate, key or CA file is missing or unreadable."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def check(self) -> "TlsFiles":
        for label, path in (("CA", self.ca_file), ("certificate", self.cert_file), ("key", self.key_file)):
            if not path.is_file():
                raise TlsConfigurationError(
                    f"{label} file {path} does not exist: run `jjj certs init` for a development PKI,"
                    " or set JJJ_TLS__CA_FILE / JJJ_TLS__CERT_FILE / JJJ_TLS__KEY_FILE")
        return self

    def read(self) -> tuple[bytes, bytes, bytes]:
        self.check()
        return self.ca_file.read_bytes(), self.cert_file.read_bytes(), self.key_file.read_bytes()


def client_context(files: TlsFiles) -> ssl.SSLContext:
    """A TLS client context that verifies the server against the CA and presents our certificate."""
    files.check()
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(files.ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(files.cert_file), str(files.key_file))
    return context


def grpc_server_credentials(files: TlsFiles) -> grpc.ServerCredentials:
    """Server credentials that require a client certificate signed by the CA (mutual TLS)."""
    ca, cert, key = files.read()
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=ca, require_client_auth=True)


def grpc_channel_credentials(files: TlsFiles) -> grpc.ChannelCredentials:
    ca, cert, key = files.read()
    return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
