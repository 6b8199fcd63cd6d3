"""`jjj up --cluster 3`: three nats-server nodes as one JetStream cluster on loopback, every stream and
bucket replicated three times; a node killed with -9 while referrals flow loses none of them, is
started again by the supervisor, and rejoins (every replica current again)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest

from kernel.security import pki
from tests.support.businfo import declared_names, stream_infos, stream_infos_or_none
from tests.support.processes import assert_stops_cleanly, cmdline, descendants, running, start_up, up_environment
from tests.support.referrals import refer, take
from tests.support.relay import free_port

pytestmark = pytest.mark.slow

NODES = 3
REFERRALS = 8
# `jjj up --cluster 3` with a back-off of 12 s before any restart: the killed node stays down long enough
# for the other two to elect new leaders (seconds on a loaded machine) and take referrals without it.
UP = ("import sys, cli.restarts as r; r.RestartPolicy.backoff_seconds = lambda self, count: 12.0; "
      f"from cli.main import main; sys.exit(main(['up', '--cluster', '{NODES}']))")


def wait_for(condition, *, timeout: float, what: str, lines: list[str]):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what} not within {timeout}s:\n" + "".join(lines[-80:])
        time.sleep(0.2)
    return found


def nats_servers(up_pid: int) -> dict[str, int]:
    """Node name (its data directory) -> pid of the nats-server processes `jjj up` runs."""
    found = {}
    for pid in descendants(up_pid):
        argv = cmdline(pid).split("\0")
        if argv[0].endswith("nats-server"):
            found[next(part for part in argv if part.endswith("nats-server.conf")).split("/")[-2]] = pid
    return found


def all_replicas_current(infos: dict[str, object], names: set[str]) -> bool:
    for info in infos.values():
        cluster = info.cluster
        peers = {cluster.leader} | {peer.name for peer in cluster.replicas or []}
        if peers != names or not all(peer.current and not peer.offline for peer in cluster.replicas or []):
            return False
    return True


def test_a_three_node_cluster_keeps_delivering_while_a_node_is_killed_and_the_node_rejoins(tmp_path):
    data_dir = tmp_path / "var"
    ports, env = up_environment(data_dir)
    client_ports = [ports["nats"], free_port(), free_port()]
    route_ports = [free_port() for _ in range(NODES)]
    env |= {"JJJ_NATS_SERVER__CLUSTER_PORTS": str(client_ports), "JJJ_NATS_SERVER__ROUTE_PORTS": str(route_ports)}
    started_up = start_up(env, command=[sys.executable, "-c", UP])
    up, lines = started_up.process, started_up.lines
    try:
        wait_for(lambda: started_up.banner_shown() or up.poll() is not None, timeout=120, what="the banner", lines=lines)
        assert up.poll() is None, "".join(lines)
        layout = pki.PkiLayout(data_dir / "pki")
        url = ",".join(f"tls://127.0.0.1:{port}" for port in client_ports)
        servers = {f"jjj-local-nats-{index + 1}" for index in range(NODES)}
        streams, buckets = declared_names()
        infos = wait_for(lambda: (found := stream_infos_or_none(url, layout)) and all_replicas_current(found, servers)
                         and found, timeout=60, what="every replica current", lines=lines)
        assert set(infos) == set(streams) | {f"KV_{bucket}" for bucket in buckets}
        assert {info.config.num_replicas for info in infos.values()} == {NODES}
        # A follower may answer a direct get a moment behind: the buckets' reads go to their leader.
        assert not any(info.config.allow_direct for name, info in infos.items() if name.startswith("KV_"))
        nodes = nats_servers(up.pid)
        assert sorted(nodes) == [f"node-{index + 1}" for index in range(NODES)]

        # Referrals flow from Tianjin to Hebei; after the first few, the node leading the referral stream dies.
        sent: list[str] = []
        sent_while_down: list[str] = []
        errors: list[BaseException] = []
        killed = threading.Event()

        def restarted() -> bool:
            return any('"process_restarted"' in line and f'"role": "nats-{victim_node[-1]}"' in line for line in lines)

        def send() -> None:
            try:
                for number in range(REFERRALS):
                    if number == REFERRALS // 2:
                        killed.wait(30)
                    sent.append(refer(layout, ports["tianjin"], number, timeout=60))
                    if killed.is_set() and not restarted():
                        sent_while_down.append(sent[-1])
            except BaseException as error:  # reported by the test below
                errors.append(error)

        sender = threading.Thread(target=send, daemon=True)
        leader = infos["JJJ_REFERRALS"].cluster.leader  # jjj-local-nats-<n>
        victim_node = f"node-{leader.rsplit('-', 1)[1]}"
        sender.start()
        wait_for(lambda: len(sent) >= REFERRALS // 2 or errors, timeout=60, what="the first referrals", lines=lines)
        victim = nodes[victim_node]
        os.kill(victim, signal.SIGKILL)
        killed.set()
        wait_for(lambda: not running(victim), timeout=10, what="the killed node gone", lines=lines)

        sender.join(timeout=120)
        assert not sender.is_alive() and not errors, errors
        assert take(layout, ports["hebei"], set(sent), timeout=90) == set(sent)
        assert len(sent) == REFERRALS
        assert sent_while_down, "no referral was sent while the node was down: " + "".join(lines[-40:])

        # The supervisor started the node again, and it caught up: every replica of every stream current.
        wait_for(lambda: any(f"nats-{victim_node[-1]} exited with -9; restarting" in line for line in lines),
                 timeout=10, what="the restart said", lines=lines)
        wait_for(lambda: nats_servers(up.pid).get(victim_node) not in (None, victim), timeout=30,
                 what="the node started again", lines=lines)
        wait_for(lambda: (found := stream_infos_or_none(url, layout)) and all_replicas_current(found, servers),
                 timeout=60, what="the restarted node current in every stream", lines=lines)
        assert stream_infos(url, layout)["JJJ_REFERRALS"].config.num_replicas == NODES

        assert_stops_cleanly(up)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
