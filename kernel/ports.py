"""Free loopback ports for processes we are about to start, never the same one twice in a process.

A port is found by binding port 0 and closing the socket, so the kernel may hand the same
port out again at once: two calls in a row gave Beijing's and Hebei's adapters one port in
CI. Sockets of one request are held until all are bound, and every port handed out is
remembered, so within a process the answers are distinct. Another process may still take
one before our child binds it; that race is inherent to handing a port to a child.
"""

from __future__ import annotations

import socket
import threading

from kernel.errors import StartupError

ATTEMPTS_PER_PORT = 64

_handed_out: set[int] = set()
_lock = threading.Lock()


class NoFreePort(StartupError):
    """The kernel kept answering ports this process already handed out."""


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct ports on `host`, none handed out before by this process."""
    with _lock:
        held: list[socket.socket] = []
        try:
            attempts = 0
            while len(held) < count:
                attempts += 1
                if attempts > ATTEMPTS_PER_PORT * max(count, 1):
                    raise NoFreePort(f"no free port on {host} not handed out already after {attempts - 1} attempts")
                probe = socket.socket()
                probe.bind((host, 0))
                if probe.getsockname()[1] in _handed_out:
                    probe.close()
                    continue
                held.append(probe)
            ports = [probe.getsockname()[1] for probe in held]
            _handed_out.update(ports)
            return ports
        finally:
            for probe in held:
                probe.close()


def free_port(host: str = "127.0.0.1") -> int:
    (port,) = free_ports(1, host)
    return port
