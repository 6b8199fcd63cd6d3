"""The production topology `jjj config nats` generates, rehearsed on loopback with real nats-server processes:
a hub and the jurisdictions' servers, each its own JetStream domain joined to the hub as a leaf node. What
Beijing's adapter sends to Hebei is sourced into the hub and from there into Hebei's domain; with the hub
down Beijing still accepts; with the hub back, Hebei catches up."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cli import natsserver, topology
from kernel.security import pki
from tests.support.processes import still_running
from tests.support.relay import free_port
from tests.support.secure import connect_as, files_of

pytestmark = pytest.mark.slow

DOMAINS = ("hub", "beijing", "tianjin", "hebei")
SUBJECT = "jjj.referral.he.bj"  # a referral to Hebei (he) from Beijing (bj)


def start_server(config: Path) -> subprocess.Popen:
    """nats-server on a generated configuration, once its log says it is ready (leaf link or not)."""
    log = config.with_suffix(".log")
    log.unlink(missing_ok=True)
    process = subprocess.Popen(natsserver.dying_with_parent([natsserver.binary(), "--config", str(config), "--log", str(log)]),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not (log.exists() and natsserver.READY in log.read_text(errors="replace")):
        assert process.poll() is None, log.read_text(errors="replace") if log.exists() else "no log"
        assert time.monotonic() < deadline, f"{config.name} not ready"
        time.sleep(0.05)
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_base_port(span: int) -> int:
    """A port from which `span` consecutive ports are free (the loopback variant numbers them from a base)."""
    import socket

    for _ in range(50):
        base = free_port()
        if base + span >= 65535:
            continue
        sockets = []
        try:
            for port in range(base, base + span):
                sock = socket.socket()
                sock.bind(("127.0.0.1", port))
                sockets.append(sock)
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise AssertionError("no free port range")


async def messages(url: str, layout: pki.PkiLayout, stream: str) -> int:
    nc = await connect_as(url, layout, connect_timeout=5)
    try:
        return (await nc.jetstream(timeout=5).stream_info(stream)).state.messages
    finally:
        await nc.close()


async def eventually_count(url: str, layout: pki.PkiLayout, stream: str, wanted: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (count := await messages(url, layout, stream)) != wanted:
        assert count < wanted, f"{stream} at {url}: {count} messages, more than {wanted}"
        assert time.monotonic() < deadline, f"{stream} at {url}: {count} messages, not {wanted} within {timeout}s"
        await asyncio.sleep(0.2)


async def publish(url: str, layout: pki.PkiLayout, msg_id: str):
    nc = await connect_as(url, layout, connect_timeout=5)
    try:
        return await nc.jetstream(timeout=5).publish(SUBJECT, b"referral " + msg_id.encode(), headers={"Nats-Msg-Id": msg_id})
    finally:
        await nc.close()


def test_a_jurisdiction_keeps_accepting_without_the_hub_and_the_other_catches_up(tmp_path, pki_layout):
    output = tmp_path / "nats"
    base = free_base_port(len(DOMAINS) + 1)
    plan = topology.plan(output=output, loopback=True, base_port=base, hub_url=None, tls_dir=None, layout=pki_layout,
                         sync_interval="default")
    topology.write(output, plan, topology.users_of(pki_layout), topology.leaf_users_of(pki_layout), duplicate_window=3600)
    url = {server.domain: f"tls://127.0.0.1:{server.port}" for server in plan.servers}
    processes: dict[str, subprocess.Popen] = {}
    try:
        for domain in DOMAINS:
            processes[domain] = start_server(output / f"{domain}.conf")
        for domain in DOMAINS:
            asyncio.run(topology.provision(url[domain], files_of(pki_layout, pki.OPERATOR), domain, duplicate_window=3600))

        ack = asyncio.run(publish(url["beijing"], pki_layout, "bj-1"))
        assert (ack.stream, ack.domain) == ("JJJ_REFERRALS", "beijing")  # taken in Beijing's own domain, once
        asyncio.run(eventually_count(url["hub"], pki_layout, "JJJ_REFERRALS", 1, timeout=30))
        asyncio.run(eventually_count(url["hebei"], pki_layout, "JJJ_REFERRALS", 1, timeout=30))
        assert asyncio.run(messages(url["tianjin"], pki_layout, "JJJ_REFERRALS")) == 0  # not addressed to Tianjin

        # The hub goes down: Beijing's members are still served by Beijing's own domain.
        stop(processes.pop("hub"))
        ack = asyncio.run(publish(url["beijing"], pki_layout, "bj-2"))
        assert (ack.stream, ack.domain, ack.seq) == ("JJJ_REFERRALS", "beijing", 2)
        assert asyncio.run(messages(url["beijing"], pki_layout, "JJJ_REFERRALS")) == 2
        assert asyncio.run(messages(url["hebei"], pki_layout, "JJJ_REFERRALS")) == 1

        # The hub is back on its store: the sources resume, and Hebei catches up (each message once).
        processes["hub"] = start_server(output / "hub.conf")
        # nats-server retries a broken source with a back-off of its own: up to tens of seconds.
        asyncio.run(eventually_count(url["hub"], pki_layout, "JJJ_REFERRALS", 2, timeout=90))
        asyncio.run(eventually_count(url["hebei"], pki_layout, "JJJ_REFERRALS", 2, timeout=90))
    finally:
        pids = [process.pid for process in processes.values()]
        for process in processes.values():
            stop(process)
        assert still_running(pids) == []
