"""Where the messages and the CPU of a referral go: `python -m benchmarks.traffic [--per-call 16] [--in-flight 16]`.

Starts a federation (`jjj up` on free ports), runs the bench's closed loop (Beijing member submits,
Hebei member reads and acknowledges) and prints per delivered referral: NATS messages in and out of
each connection (nats-server's /connz), messages stored per stream (/jsz), user and system CPU and
read/write system calls of each process (/proc). Not part of `make bench`: it answers "which hop
costs what", the bench answers "how fast". The figures are per referral, so they move little with
the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import urllib.request
from pathlib import Path

from benchmarks import load
from harness.federation import LocalFederation

TICKS = os.sysconf("SC_CLK_TCK")


def _monitor(url: str, path: str) -> dict:
    with urllib.request.urlopen(url + path, timeout=5) as answer:
        return json.load(answer)


def bus_counts(url: str) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """(connection name -> (in, out) messages), (stream -> messages stored)."""
    connections: dict[str, tuple[int, int]] = {}
    for connection in _monitor(url, "/connz?limit=1024")["connections"]:
        name = connection.get("name") or str(connection["cid"])
        seen_in, seen_out = connections.get(name, (0, 0))
        connections[name] = (seen_in + connection["in_msgs"], seen_out + connection["out_msgs"])
    streams = {stream["name"]: stream["state"]["messages"]
               for account in _monitor(url, "/jsz?streams=true").get("account_details", [])
               for stream in account.get("stream_detail", [])}
    return connections, streams


def process_counts(pids: dict[str, int]) -> dict[str, tuple[float, float, int, int]]:
    """role -> (user s, system s, read syscalls, write syscalls)."""
    found = {}
    for role, pid in pids.items():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            io = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
        except OSError:
            continue
        found[role] = (int(stat[11]) / TICKS, int(stat[12]) / TICKS, int(io["syscr"]), int(io["syscw"]))
    return found


async def measure(federation: LocalFederation, *, referrals: int, per_call: int, in_flight: int) -> list[str]:
    monitor = f"http://127.0.0.1:{federation.ports['nats_monitor']}"
    members, orders, pids, meter = load.bench_clients(federation.state, monitor)
    await members.open()
    try:
        await load.saturation(members, orders, meter, in_flight=4, per_call=1, referrals=8)
        await load.settled(pids)
        bus_before, processes_before = bus_counts(monitor), process_counts(pids)
        received_before, messages_before = members.received, members.inbox_messages
        result = await load.saturation(members, orders, meter, in_flight=in_flight, per_call=per_call,
                                       referrals=referrals)
        await load.settled(pids)  # the receipts, projection and audit of the last referrals count too
        bus_after, processes_after = bus_counts(monitor), process_counts(pids)
        items, inbox_messages = members.received - received_before, members.inbox_messages - messages_before
    finally:
        await members.close()
    n = result["referrals"]
    lines = [f"{n} referrals, {per_call} per call, {in_flight} calls in flight: {result['referrals_per_second']}/s",
             f"the Hebei member's inbox: {items} items in {inbox_messages} stream messages"
             f" ({items / max(inbox_messages, 1):.1f} a message)",
             "", "NATS messages per referral, by connection (in = from the client, out = to it):"]
    for name, (after_in, after_out) in sorted(bus_after[0].items()):
        before_in, before_out = bus_before[0].get(name, (0, 0))
        lines.append(f"  {name:<28} in {(after_in - before_in) / n:6.2f}  out {(after_out - before_out) / n:6.2f}")
    lines += ["", "messages stored per referral, by stream:"]
    lines += [f"  {stream:<28} {(stored - bus_before[1].get(stream, 0)) / n:6.2f}"
              for stream, stored in sorted(bus_after[1].items()) if stored != bus_before[1].get(stream, 0)]
    lines += ["", "per referral, by process: CPU ms user + system, system calls read / write; peak RSS of the process:"]
    for role, (user, system, reads, writes) in processes_after.items():
        user0, system0, reads0, writes0 = processes_before.get(role, (user, system, reads, writes))
        lines.append(f"  {role:<12} {(user - user0) * 1000 / n:6.3f} + {(system - system0) * 1000 / n:6.3f} ms"
                     f"   {(reads - reads0) / n:6.2f} / {(writes - writes0) / n:6.2f}   {load.peak_rss_mb(pids[role]):6.1f} MB")
    return lines


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(prog="python -m benchmarks.traffic")
    options.add_argument("--per-call", type=int, default=load.BATCH, help="work orders per SubmitDocument")
    options.add_argument("--in-flight", type=int, default=16)
    options.add_argument("--referrals", type=int, default=2048)
    arguments = options.parse_args(argv)
    with load.bench_federation(prefix="jjj-traffic-") as federation:
        lines = asyncio.run(measure(federation, referrals=arguments.referrals, per_call=arguments.per_call,
                                    in_flight=arguments.in_flight))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
