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
    monkeypatch.delenv(ports.RANGE_VARIABLE, raising=False)
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


def _unused_range(size: int) -> tuple[int, int]:
    """`size` consecutive loopback ports nobody holds now, below the ephemeral range."""
    for low in range(20_000, 32_000 - size, 97):
        try:
            held = []
            for port in range(low, low + size):
                probe = socket.socket()
                held.append(probe)
                probe.bind(("127.0.0.1", port))
            return low, low + size - 1
        except OSError:
            continue
        finally:
            for probe in held:
                probe.close()
    raise AssertionError("no free run of ports")


def test_a_range_gives_ports_within_it_skipping_one_in_use(monkeypatch):
    monkeypatch.setattr(ports, "_handed_out", set())
    low, high = _unused_range(4)
    monkeypatch.setenv(ports.RANGE_VARIABLE, f"{low}-{high}")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", low + 1))
        busy.listen()
        given = ports.free_ports(3)
        with pytest.raises(ports.NoFreePort, match=ports.RANGE_VARIABLE):
            ports.free_port()  # all four handed out or in use
    assert sorted(given) == [low, low + 2, low + 3]


@pytest.mark.parametrize("text", ["20000", "a-b", "30000-20000", "80-90", "60000-70000"])
def test_a_malformed_range_is_named(text):
    with pytest.raises(ports.StartupError, match=ports.RANGE_VARIABLE):
        ports.port_range(text)


def test_the_test_workers_have_disjoint_ranges_below_the_ephemeral_ones():
    from tests.conftest import worker_port_range

    spans = [ports.port_range(worker_port_range(f"gw{n}", "2")) for n in range(2)]
    assert not set(spans[0]) & set(spans[1])
    assert max(spans[1]) < 32_768 and min(spans[0]) >= 10_000
    assert ports.port_range(worker_port_range(None, None)) == range(10_000, 32_000)


def test_ports_to_avoid_are_not_handed_out(monkeypatch):
    monkeypatch.setattr(ports, "_handed_out", set())
    low, high = _unused_range(3)
    monkeypatch.setenv(ports.RANGE_VARIABLE, f"{low}-{high}")
    assert ports.free_ports(2, avoid=[low + 1]) in ([low, low + 2], [low + 2, low])
