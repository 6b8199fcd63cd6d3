"""Free loopback ports for processes we are about to start, never the same one twice in a process.

A port is found by binding it and closing the socket, so the kernel may hand the same port out
again at once: two calls in a row gave Beijing's and Hebei's adapters one port in CI. Sockets of
one request are held until all are bound, and every port handed out is remembered, so within a
process the answers are distinct. Another process may still take one before our child binds it;
that race is inherent to handing a port to a child.

By default the kernel picks (port 0: its ephemeral range, which outgoing connections draw their
source ports from too). `JJJ_PORT_RANGE=<low>-<high>` picks from that range instead: several
federations on one machine (the test suite's workers, each given a range of its own below the
ephemeral range) then never pick each other's ports, nor a port a connection is using. In CI a
conformance run's Tianjin adapter got the port another worker's nats-server had just taken.
"""

from __future__ import annotations

import os
import random
import socket
import threading
from collections.abc import Iterable

from kernel.errors import StartupError

ATTEMPTS_PER_PORT = 64
RANGE_VARIABLE = "JJJ_PORT_RANGE"

_handed_out: set[int] = set()
_lock = threading.Lock()


class NoFreePort(StartupError):
    """The kernel kept answering ports this process already handed out."""


def free_ports(count: int, host: str = "127.0.0.1", *, avoid: Iterable[int] = ()) -> list[int]:
    """`count` distinct ports on `host`, none handed out before by this process nor in `avoid` (ports
    another process handed out and its children may not have bound yet: `jjj up`'s own)."""
    avoided = set(avoid)
    candidates = _candidates()
    with _lock:
        held: list[socket.socket] = []
        try:
            attempts = 0
            while len(held) < count:
                attempts += 1
                if attempts > ATTEMPTS_PER_PORT * max(count, 1):
                    raise NoFreePort(f"no free port on {host} not handed out already after {attempts - 1} attempts")
                probe = _probe(host, candidates)
                if probe is None:
                    continue
                if probe.getsockname()[1] in _handed_out or probe.getsockname()[1] in avoided:
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


def port_range(text: str | None) -> range | None:
    """`low-high` (inclusive, 1024-65535) as a range; None when unset. A malformed value is an error naming it."""
    if not text:
        return None
    low, _, high = text.partition("-")
    try:
        first, last = int(low), int(high)
    except ValueError:
        raise StartupError(f"{RANGE_VARIABLE} must be <low>-<high>, e.g. 20000-29999, not {text!r}") from None
    if not 1024 <= first <= last <= 65535:
        raise StartupError(f"{RANGE_VARIABLE} must lie within 1024-65535, low before high, not {text!r}")
    return range(first, last + 1)


def _candidates():
    """The ports to try, in order: None for the kernel's pick (port 0) each time, else the range from a
    random place onwards (two processes of one range rarely start at the same place)."""
    span = port_range(os.environ.get(RANGE_VARIABLE))
    if span is None:
        return None
    start = random.randrange(len(span))
    return iter([*span[start:], *span[:start]])


def _probe(host: str, candidates) -> socket.socket | None:
    """A socket bound to the next candidate, or None when that one is in use."""
    probe = socket.socket()
    try:
        probe.bind((host, 0 if candidates is None else next(candidates)))
    except StopIteration:
        probe.close()
        raise NoFreePort(f"no free port left on {host} in {RANGE_VARIABLE}={os.environ[RANGE_VARIABLE]}") from None
    except OSError:
        probe.close()
        if candidates is None:
            raise
        return None
    return probe
