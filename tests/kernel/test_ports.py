"""kernel.ports: ports handed to children are distinct within a process, even when the kernel repeats one."""

from __future__ import annotations

import socket

import pytest

from kernel import ports


def test_a_request_of_many_ports_gives_distinct_free_ports():
    given = ports.free_ports(40)
    assert len(set(given)) == 40
    for port in given:  # each can be bound now: free, on loopback
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))


def test_no_port_is_handed_out_twice_in_a_process():
    given = [ports.free_port() for _ in range(200)] + ports.free_ports(20)
    assert len(set(given)) == len(given)


class _RepeatingKernel:
    """A socket whose port 0 bind answers from a script, as the kernel may answer a just-closed port again."""

    script: list[int] = []

    def __init__(self, *args):
        self.port = 0

    def bind(self, address):
        self.port = self.script.pop(0)

    def getsockname(self):
        return ("127.0.0.1", self.port)

    def close(self):
        pass


def test_a_port_the_kernel_answers_again_is_skipped(monkeypatch):
    monkeypatch.setattr(ports, "_handed_out", set())
    monkeypatch.setattr(ports.socket, "socket", _RepeatingKernel)
    _RepeatingKernel.script = [50001, 50001, 50001, 50002, 50003]
    assert ports.free_port() == 50001
    assert ports.free_ports(2) == [50002, 50003]  # the two repeats of 50001 were not taken


def test_a_kernel_that_only_repeats_is_a_named_error(monkeypatch):
    monkeypatch.setattr(ports, "_handed_out", {50001})
    monkeypatch.setattr(ports.socket, "socket", _RepeatingKernel)
    _RepeatingKernel.script = [50001] * (ports.ATTEMPTS_PER_PORT + 1)
    with pytest.raises(ports.NoFreePort, match="not handed out already"):
        ports.free_port()
