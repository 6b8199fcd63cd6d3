"""Connecting as a principal in tests: the bus as the operator (or anyone), adapters as a member system."""

from __future__ import annotations

import socket

import grpc
from nats.aio.client import Client

from harness.client import secure_channel
from kernel.bus import jetstream
from kernel.security import pki
from kernel.security.tls import TlsFiles, client_context, grpc_channel_credentials


def files_of(layout: pki.PkiLayout, principal: str) -> TlsFiles:
    return TlsFiles(layout.ca_cert, layout.cert(principal), layout.key(principal))


async def connect_as(url: str, layout: pki.PkiLayout, principal: str = pki.OPERATOR, **options) -> Client:
    return await jetstream.connect(url, name=f"test-{principal}", tls=client_context(files_of(layout, principal)),
                                   principal=principal, **options)


def member_channel(layout: pki.PkiLayout, jurisdiction: str, address: str) -> grpc.aio.Channel:
    """A channel as `jurisdiction`'s member system calls its adapter: mutual TLS with its certificate."""
    return secure_channel(address, files_of(layout, pki.member_system_principal(jurisdiction)))


def raw_nats_exchange(port: int, wrap=None) -> bytes:
    """Say CONNECT, SUB jjj.>, SUB $KV.> and PING as a client without a library; what does the server answer?"""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        assert raw.recv(4096).startswith(b"INFO ")
        connection = wrap(raw) if wrap else raw
        connection.sendall(b'CONNECT {"verbose":false}\r\nSUB jjj.> 1\r\nSUB $KV.> 2\r\nPING\r\n')
        return connection.recv(4096)


def health_status(layout: pki.PkiLayout, port: int, *, timeout: float = 2.0) -> int | None:
    """A process's gRPC health (`""` service) asked as the operator; None when it does not answer."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.secure_channel(f"127.0.0.1:{port}", grpc_channel_credentials(files_of(layout, pki.OPERATOR))) as channel:
        try:
            return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout).status
        except grpc.RpcError:
            return None
