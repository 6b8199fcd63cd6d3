"""End-to-end load on a real federation (`jjj up` as a subprocess, as the e2e tests start it).

Beijing member system -> Beijing adapter -> JetStream -> Hebei adapter -> Hebei member system,
each referral acknowledged by the Hebei member. Measured in one run:

- throughput at saturation: N submissions in flight (closed loop), one work order per call
  and a batch of `BATCH` work orders per call;
- latency (submit -> the Hebei member holds the item) at fixed offered loads (open loop);
- CPU per referral per process (utime + stime from /proc/<pid>/stat, every process `jjj up`
  started, and this one: the member systems);
- NATS operations per referral (in_msgs / out_msgs deltas of nats-server's /varz);
- peak RSS per process (VmHWM from /proc/<pid>/status).

The floors (benchmarks/transport_floors.py) run in the same run on the same machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import statistics
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc


from harness.client import secure_channel
from harness.federation import LocalFederation
from harness.state import FederationState
from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc
from kernel.normalize.resident_id import gb11643_check_digit

SAMPLE = (Path(__file__).resolve().parents[1]
          / "tests/fixtures/shared/jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json")
BATCH = 16
TICKS = os.sysconf("SC_CLK_TCK")


FIRST_BIRTHDAY = dt.date(1950, 1, 1)


class WorkOrders:
    """Distinct work orders from distinct citizens (one citizen many times would measure repeat matching)."""

    def __init__(self, run_tag: int) -> None:
        self._order = json.loads(SAMPLE.read_bytes())
        self._tag = run_tag % 100
        self._next = 0

    def take(self, count: int) -> list[tuple[str, dict]]:
        orders = []
        for _ in range(count):
            n = self._next
            self._next += 1
            # A citizen of her own per order: born on one of 20,000 days, 1,000 sequence numbers a day (the
            # bench's ID numbers repeated every 1,000 orders: 100,000 orders measured repeat matching).
            born = FIRST_BIRTHDAY + dt.timedelta(days=(n // 1000) % 20_000)
            first17 = f"131082{born:%Y%m%d}{n % 1000:03d}"
            order = dict(self._order, gdbh=f"BJ2026{self._tag:02d}{n:010d}")
            order["sqr"] = dict(self._order["sqr"], zjhm=first17 + gb11643_check_digit(first17), lxdh=f"139{n:08d}")
            orders.append((order["gdbh"], order))
        return orders


def document(orders: list[tuple[str, dict]]) -> bytes:
    body = orders[0][1] if len(orders) == 1 else [order for _, order in orders]
    return json.dumps(body, ensure_ascii=False).encode()


# -- /proc and /varz ----------------------------------------------------------------------------


@contextlib.contextmanager
def bench_federation(data_dir: Path | None = None, *, prefix: str = "jjj-bench-") -> Iterator[LocalFederation]:
    """A local federation (`jjj up` on free ports, warnings only in its logs) for a measurement, in `data_dir`
    or else a temporary directory removed afterwards; stopped when the block ends, however it ends."""
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix))) / "data"
        federation = LocalFederation.start(data_dir, extra_env={"JJJ_LOG_LEVEL": "warning"})
        try:
            yield federation
        finally:
            federation.stop()


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def status_mb(pid: int, key: str) -> float:
    """A memory figure of /proc/<pid>/status ("VmHWM": peak resident, "VmRSS": resident now), in MB; 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb(pid: int) -> float:
    return status_mb(pid, "VmHWM")


def varz(url: str | None) -> dict:
    if not url:
        return {}
    with urllib.request.urlopen(url.rstrip("/") + "/varz", timeout=5) as answer:
        return json.load(answer)


@dataclass
class Meter:
    """CPU of every process and NATS message counts between `start()` and `stop()`."""

    pids: dict[str, int]
    monitor_url: str | None
    _cpu: dict[str, float] = field(default_factory=dict)
    _varz: dict = field(default_factory=dict)

    def start(self) -> None:
        self._cpu = {role: cpu_seconds(pid) for role, pid in self.pids.items()}
        self._varz = varz(self.monitor_url)

    def stop(self, referrals: int) -> dict:
        cpu = {role: (cpu_seconds(pid) - self._cpu[role]) * 1000 / max(referrals, 1) for role, pid in self.pids.items()}
        after = varz(self.monitor_url)
        result = {"cpu_ms_per_referral": {role: round(ms, 3) for role, ms in cpu.items()},
                  "cpu_ms_per_referral_total": round(sum(cpu.values()), 3)}
        if after and self._varz:
            for key in ("in_msgs", "out_msgs"):
                result[f"nats_{key}_per_referral"] = round((after[key] - self._varz[key]) / max(referrals, 1), 2)
        return result


# -- the two member systems -------------------------------------------------------------------


class Members:
    """The Beijing member submitting, the Hebei member reading its inbox and acknowledging every item."""

    def __init__(self, state: FederationState) -> None:
        self.state = state
        self.sender_channel = secure_channel(state.adapter("beijing").address, state.member_files("beijing"))
        self.receiver_channel = secure_channel(state.adapter("hebei").address, state.member_files("hebei"))
        self.sender = adapter_pb2_grpc.AdapterServiceStub(self.sender_channel)
        self.receiver = adapter_pb2_grpc.AdapterServiceStub(self.receiver_channel)
        self.sent_at: dict[str, float] = {}
        self.latencies: list[float] = []
        self.received = 0
        self.inbox_messages = 0  # stream messages the items came in (several items to one when ready together)
        self._arrived = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self._acks: set[asyncio.Task] = set()
        self._pending_acks: list[str] = []
        self._ack_wake = asyncio.Event()
        self.errors: dict[str, int] = {}
        self.batched_acks = hasattr(adapter_pb2, "AcknowledgeInboxItemsRequest")

    async def open(self) -> None:
        # Several items to a message where the adapter offers it (an older one ignores the field).
        self._stream = self.receiver.OpenInbox(adapter_pb2.OpenInboxRequest(flows=[1], items_per_message=64))
        self._reader = asyncio.create_task(self._read())
        self._acker = asyncio.create_task(self._acknowledge())

    async def close(self) -> None:
        for task in (self._reader, self._acker):
            task.cancel()
        self._stream.cancel()
        await asyncio.gather(self._reader, self._acker, *self._acks, return_exceptions=True)
        await self.sender_channel.close()
        await self.receiver_channel.close()

    async def _read(self) -> None:
        async for answer in self._stream:
            now = time.perf_counter()
            self.inbox_messages += 1
            for item in answer.items or [answer.item]:
                started = self.sent_at.pop(item.envelope.referral.case.native_id, None)
                if started is not None:
                    self.latencies.append(now - started)
                self.received += 1
                self._pending_acks.append(item.item_id)
            self._ack_wake.set()
            self._arrived.set()

    async def _acknowledge(self) -> None:
        """Acknowledge what arrived: many ids per call when the adapter offers it, else one call per item."""
        while True:
            await self._ack_wake.wait()
            self._ack_wake.clear()
            ids, self._pending_acks = self._pending_acks, []
            if self.batched_acks:
                for start in range(0, len(ids), 256):
                    await self.receiver.AcknowledgeInboxItems(
                        adapter_pb2.AcknowledgeInboxItemsRequest(item_ids=ids[start:start + 256]))
            else:
                await asyncio.gather(*(self.receiver.AcknowledgeInboxItem(
                    adapter_pb2.AcknowledgeInboxItemRequest(item_id=item_id)) for item_id in ids))

    async def submit(self, orders: list[tuple[str, dict]]) -> int:
        """How many of `orders` were accepted (all, or none when the call failed: counted in `errors`)."""
        now = time.perf_counter()
        for native_id, _ in orders:
            self.sent_at[native_id] = now
        try:
            await self.sender.SubmitDocument(adapter_pb2.SubmitDocumentRequest(
                document=adapter_pb2.NativeDocument(content=document(orders), format=adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON),
                request_id=uuid.uuid4().hex), timeout=60)
        except grpc.aio.AioRpcError as error:
            self.errors[error.code().name] = self.errors.get(error.code().name, 0) + 1
            for native_id, _ in orders:
                self.sent_at.pop(native_id, None)
            return 0
        return len(orders)

    async def wait_received(self, total: int, timeout: float = 60.0) -> None:
        """Until `total` referrals arrived; TimeoutError when none arrived for `timeout` seconds (a
        receiver working through a backlog of a long load is still waited for)."""
        deadline = time.monotonic() + timeout
        while self.received < total:
            self._arrived.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.received} of {total} referrals arrived, none for {timeout:g} s")
            before = self.received
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                pass
            if self.received > before:
                deadline = time.monotonic() + timeout


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency_ms(values: list[float]) -> dict:
    return {f"p{int(p * 100)}_ms": round(percentile(values, p) * 1000, 2) for p in (0.5, 0.95, 0.99)}


# -- the phases ------------------------------------------------------------------------------


async def saturation(members: Members, orders: WorkOrders, meter: Meter, *, in_flight: int, per_call: int,
                     referrals: int) -> dict:
    """Closed loop: `in_flight` submissions outstanding until `referrals` were submitted; all received."""
    calls = max(in_flight, referrals // per_call)
    base = members.received
    members.latencies = []
    queue = iter(range(calls))
    members.errors = {}
    accepted = [0]

    async def worker() -> None:
        for _ in queue:
            taken = await members.submit(orders.take(per_call))  # not `+= await`: that reads the count before awaiting
            accepted[0] += taken

    meter.start()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    total = accepted[0]
    await members.wait_received(base + total)
    elapsed = time.perf_counter() - started
    return {"in_flight": in_flight, "per_call": per_call, "referrals": total,
            "referrals_per_second": round(total / elapsed, 1), **latency_ms(members.latencies), **meter.stop(total),
            "failed_calls": dict(members.errors)}


async def offered(members: Members, orders: WorkOrders, meter: Meter, *, rate: float, seconds: float) -> dict:
    """Open loop: one work order per call at `rate` per second, whatever the answers take."""
    count = max(1, int(rate * seconds))
    base = members.received
    members.latencies = []
    members.errors = {}
    tasks = []
    meter.start()
    started = time.perf_counter()
    for n in range(count):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(members.submit(orders.take(1))))
    accepted = sum(await asyncio.gather(*tasks))
    await members.wait_received(base + accepted)
    elapsed = time.perf_counter() - started
    return {"offered_per_second": rate, "referrals": accepted, "achieved_per_second": round(accepted / elapsed, 1),
            **latency_ms(members.latencies), **meter.stop(accepted), "failed_calls": dict(members.errors)}


@dataclass
class Plan:
    in_flight: tuple[int, ...] = (1, 16, 64, 256)
    batched_in_flight: tuple[int, ...] = (1, 16, 64, 256)  # calls of BATCH work orders each
    referrals: int = 1024
    offered_rates: tuple[float, ...] = (100, 300, 500, 1000)
    offered_seconds: float = 3.0
    # Cases loaded between two identical batched probes: is the cost flat as the stores and indexes fill?
    history: int = 100_000
    # Each side of the history load: a discarded warm-up probe, then this many probes of this many referrals;
    # the median of each side is compared. One probe of 1,024 (four rounds of 256 in flight) after a warm-up of
    # 8 gave ratios from 0.83 to 1.33 on one commit: the first probe also paid the federation's warm-up.
    history_probe: int = 2048
    history_probes: int = 3
    # Rows of the Hebei export streamed to IngestDocument (benchmarks/ingest.py); 0: not measured.
    ingest_rows: int = 100_000


SMOKE = Plan(in_flight=(1, 4), batched_in_flight=(1, 4), referrals=16, offered_rates=(20,), offered_seconds=0.5, history=32,
             history_probe=16, history_probes=2, ingest_rows=300)
QUICK = Plan(in_flight=(1, 16, 64), batched_in_flight=(1, 16), referrals=256, offered_rates=(100, 300), offered_seconds=2.0,
             history=2_000, history_probe=512, ingest_rows=10_000)
HISTORY_IN_FLIGHT = 16


def _busy_cpu_seconds(pids: dict[str, int]) -> float:
    return sum(cpu_seconds(pid) for role, pid in pids.items() if role != "members")


async def settled(pids: dict[str, int], *, idle_share: float = 0.15, timeout: float = 120.0) -> float:
    """Wait until the federation is done with what came before (a load leaves receipts, projections
    and audit behind): less than `idle_share` of a core busy over a second. How long it took."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        before = _busy_cpu_seconds(pids)
        await asyncio.sleep(1.0)
        if _busy_cpu_seconds(pids) - before < idle_share:
            break
    return round(time.perf_counter() - started, 1)


# The history load's tail (receipts, projection, audit of 100,000 cases) may take minutes to settle.
HISTORY_SETTLE_SECONDS = 600.0


async def with_history(members: Members, orders: WorkOrders, meter: Meter, *, referrals: int, history: int,
                       probes: int = 1) -> dict:
    """The same batched probe on the federation as it is, then after `history` more cases went through it.

    Each side is a warm-up probe (not counted: connections, caches, the first pages of every store) and then
    `probes` probes; the sides' medians are compared, each of throughput and of CPU on its own. Each side starts
    once the federation has settled from what came before: the question is the cost with the cases already in
    the stores and indexes, not while their side work is still running (how long that took is reported beside it)."""
    in_flight = max(1, min(HISTORY_IN_FLIGHT, referrals // BATCH))

    async def side() -> list[dict]:
        await saturation(members, orders, meter, in_flight=in_flight, per_call=BATCH, referrals=referrals)
        return [await saturation(members, orders, meter, in_flight=in_flight, per_call=BATCH, referrals=referrals)
                for _ in range(probes)]

    settled_before = await settled(meter.pids, timeout=HISTORY_SETTLE_SECONDS)
    before = await side()
    loading = await saturation(members, orders, meter, in_flight=in_flight, per_call=BATCH, referrals=history)
    settled_after = await settled(meter.pids, timeout=HISTORY_SETTLE_SECONDS)
    after = await side()
    throughput = [statistics.median([run["referrals_per_second"] for run in runs]) for runs in (before, after)]
    cpu = [statistics.median([run["cpu_ms_per_referral_total"] for run in runs]) for runs in (before, after)]
    return {"loaded": loading["referrals"], "loading_referrals_per_second": loading["referrals_per_second"],
            "settled_seconds_before": settled_before, "settled_seconds_after_loading": settled_after,
            "before": _median_run(before), "after": _median_run(after), "before_runs": before, "after_runs": after,
            "throughput_ratio": round(throughput[1] / max(throughput[0], 0.1), 3),
            "cpu_ratio": round(cpu[1] / max(cpu[0], 0.001), 3)}


def _median_run(runs: list[dict]) -> dict:
    """The probe of median throughput (the lower middle one of an even count), shown as the side's row."""
    ranked = sorted(runs, key=lambda run: run["referrals_per_second"])
    return ranked[(len(ranked) - 1) // 2]


def bench_clients(state: FederationState, monitor_url: str | None = None) -> tuple[Members, WorkOrders, dict[str, int], Meter]:
    """The two member systems, their work orders, the processes to meter (this one as "members") and the meter."""
    pids = {role: pid for role, pid in state.pids.items()}
    pids["members"] = os.getpid()
    return Members(state), WorkOrders(int(time.time())), pids, Meter(pids, monitor_url or state.nats_monitor_url)


async def measure(state: FederationState, plan: Plan, *, monitor_url: str | None = None) -> dict:
    members, orders, pids, meter = bench_clients(state, monitor_url)
    await members.open()
    try:
        await saturation(members, orders, meter, in_flight=4, per_call=1, referrals=8)  # warm: connections, caches
        single = [await saturation(members, orders, meter, in_flight=n, per_call=1, referrals=max(plan.referrals // 2, n))
                  for n in plan.in_flight]
        batched = [await saturation(members, orders, meter, in_flight=n, per_call=BATCH,
                                    referrals=max(plan.referrals, n * BATCH)) for n in plan.batched_in_flight]
        latency = [await offered(members, orders, meter, rate=rate, seconds=plan.offered_seconds)
                   for rate in plan.offered_rates]
        from benchmarks import ingest  # it measures with this module's Members and Meter

        ingested = await ingest.measure(state, members, meter, rows=plan.ingest_rows) if plan.ingest_rows else None
    finally:
        await members.close()
    rss = {role: round(peak_rss_mb(pid), 1) for role, pid in pids.items()}
    return {"saturation_one_per_call": single, "saturation_batched": batched, "latency_at_offered_load": latency,
            "peak_rss_mb": rss, "acknowledged_in_batches": members.batched_acks, "ingest": ingested}


async def measure_history(state: FederationState, plan: Plan, *, monitor_url: str | None = None) -> dict:
    """Cost as history grows, on a federation of its own: the first probes run on an empty one, as the issue's
    "within 10% of an empty federation" asks; the probe used to run after the other phases, some 30,000 cases in."""
    members, orders, pids, meter = bench_clients(state, monitor_url)
    await members.open()
    try:
        await saturation(members, orders, meter, in_flight=4, per_call=1, referrals=8)  # connections
        measured = await with_history(members, orders, meter, referrals=plan.history_probe, history=plan.history,
                                      probes=plan.history_probes)
    finally:
        await members.close()
    # What holding the history costs in memory (kernel.heap reclaims cycles among old objects only hourly).
    measured["peak_rss_mb"] = {role: round(peak_rss_mb(pid), 1) for role, pid in pids.items()}
    return measured
