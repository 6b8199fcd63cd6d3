"""Member systems under fault: Beijing refers work orders to Hebei, Hebei reads, acknowledges and reports back.

Everything each side saw is written into one Ledger: which cases were answered OK (or
queued) at submission, every delivery of every envelope, every acknowledgement the
adapter answered OK, and every delivery of an envelope after such an acknowledgement
(a duplicate). The verdict (lost, duplicated) is computed from the ledger only.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from kernel.normalize.resident_id import gb11643_check_digit
from tests.faults.federation import UpFederation

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures/shared/jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED,
             grpc.StatusCode.ABORTED, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INTERNAL,
             grpc.StatusCode.UNKNOWN}
STEPS = (case_pb2.STATUS_RECEIVED, case_pb2.STATUS_ACCEPTED)
CALL_TIMEOUT = 10.0
# How soon after an acknowledgement's answer a re-shown item still counts as written before the ack was taken.
IN_FLIGHT_SECONDS = 1.0
MAX_STEP_CONFLICTS = 5
WORK_TIMEOUT = 150.0  # one item's steps, retried across a fault; longer only when a call hangs
HAS_QUEUED = "queued" in adapter_pb2.Submission.DESCRIPTOR.fields_by_name


def case_id(run: int, n: int) -> str:
    return f"jjj:BJ:{native_id(run, n)}"


def native_id(run: int, n: int) -> str:
    return f"BJ2026{run:02d}{n:010d}"


def batch_document(run: int, numbers: range) -> bytes:
    """A Beijing JSON batch of distinct work orders from distinct citizens, all located in Sanhe (so: to Hebei)."""
    template = json.loads(SAMPLE.read_bytes())
    orders = []
    for n in numbers:
        order = json.loads(json.dumps(template))
        first17 = f"1310821990{run % 100:02d}{n % 100000:05d}"
        order["gdbh"] = native_id(run, n)
        order["sqr"]["zjhm"] = first17 + gb11643_check_digit(first17)
        order["sqr"]["lxdh"] = f"139{n:08d}"
        order["sqnr"] = f"{order['sqnr']}（第{n}号）"
        orders.append(order)
    return json.dumps(orders, ensure_ascii=False).encode()


@dataclass
class Ledger:
    started: float = field(default_factory=time.monotonic)
    attempted: dict[str, float] = field(default_factory=dict)  # case id -> first submission attempt began
    accepted: dict[str, float] = field(default_factory=dict)  # case id -> answered OK (or queued)
    queued: set[str] = field(default_factory=set)
    queued_at: list[float] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # case id -> the final error of its submission
    deliveries: Counter[str] = field(default_factory=Counter)  # envelope id -> times delivered
    first_delivery: dict[str, float] = field(default_factory=dict)
    delivery_times: list[tuple[float, str]] = field(default_factory=list)
    acknowledged: dict[str, float] = field(default_factory=dict)  # envelope id -> ack answered OK
    ack_unanswered: set[str] = field(default_factory=set)  # acks that never got an answer (connection closed)
    ack_refused: dict[str, str] = field(default_factory=dict)  # envelope id -> the code an ack was refused with
    duplicates: list[tuple[str, int]] = field(default_factory=list)  # (envelope id, delivery_count) after an OK ack
    # Re-shown on a session that was already open while the acknowledgement was in flight, read within
    # IN_FLIGHT_SECONDS of its answer: the adapter wrote it to the stream before it took the ack (a member
    # system sees it again and must dedupe by envelope id). Reported apart; any later one is a duplicate.
    raced: list[tuple[str, int]] = field(default_factory=list)
    reported: dict[str, list[int]] = field(default_factory=dict)  # case id -> steps answered OK
    step_errors: list[tuple[str, str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # deliveries the workload never sent (a poison message)
    errors: Counter[str] = field(default_factory=Counter)  # gRPC codes seen, by call

    def delivered(self, envelope_id: str, delivery_count: int, *, sent: bool = True,
                  session_opened: float | None = None) -> None:
        now = time.monotonic()
        if not sent:
            self.unexpected.append(envelope_id)
        if envelope_id in self.acknowledged:
            answered = self.acknowledged[envelope_id]
            in_flight = (session_opened is not None and session_opened < answered
                         and now - answered <= IN_FLIGHT_SECONDS)
            (self.raced if in_flight else self.duplicates).append((envelope_id, delivery_count))
        self.deliveries[envelope_id] += 1
        self.first_delivery.setdefault(envelope_id, now)
        self.delivery_times.append((now, envelope_id))

    def recovery_after(self, moment: float) -> float | None:
        """From `moment` to the first delivery of a referral whose submission began after it; when every
        submission had begun before (a fault late in the run), to the first delivery of anything after it."""
        submitted_after = any(began >= moment for began in self.attempted.values())
        for at, envelope_id in self.delivery_times:
            case = envelope_id.split("/")[0]
            if at >= moment and (not submitted_after or self.attempted.get(case, -1.0) >= moment):
                return at - moment
        return None

    def longest_pause_after(self, moment: float) -> float | None:
        """The longest time without any delivery from `moment` on (until the last delivery): how long the
        fault held the flow up, also when every submission had begun before it (a long run's fault comes
        while the submitted backlog is still being delivered, and `recovery_after` sees that backlog)."""
        # Referrals at their receiver only: the origin keeps receiving the status updates already on the bus.
        times = sorted(at for at, envelope_id in self.delivery_times if at >= moment and "/referral/" in envelope_id)
        if not times:
            return None
        return max(later - earlier for earlier, later in zip([moment, *times], times))

    def referral_id(self, case: str) -> str:
        return f"{case}/referral/1"

    def lost(self) -> list[str]:
        return sorted(case for case in self.accepted if self.referral_id(case) not in self.deliveries)


@dataclass
class Sizes:
    referrals: int
    batch: int = 20
    senders: int = 2
    ack_workers: int = 8


class Sender:
    """Beijing's member system: batches of work orders, each batch retried with its request_id until answered."""

    def __init__(self, federation: UpFederation, ledger: Ledger, sizes: Sizes, *, run: int = 1,
                 give_up_after: float = 120.0) -> None:
        self.federation, self.ledger, self.sizes, self.run = federation, ledger, sizes, run
        self.give_up_after = give_up_after
        self.in_flight = 0

    async def send_all(self) -> None:
        batches = [range(start, min(start + self.sizes.batch, self.sizes.referrals))
                   for start in range(0, self.sizes.referrals, self.sizes.batch)]
        queue: asyncio.Queue[range] = asyncio.Queue()
        for batch in batches:
            queue.put_nowait(batch)
        async with self.federation.member_channel("beijing") as channel:
            stub = self.federation.adapter_stub(channel)
            await asyncio.gather(*(self._worker(stub, queue) for _ in range(self.sizes.senders)))

    async def _worker(self, stub, queue: asyncio.Queue[range]) -> None:
        while not queue.empty():
            await self._submit(stub, queue.get_nowait())

    async def _submit(self, stub, numbers: range) -> None:
        request = adapter_pb2.SubmitDocumentRequest(
            request_id=f"faults-{self.run}-{numbers.start}",
            document=adapter_pb2.NativeDocument(content=batch_document(self.run, numbers),
                                                format=adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON))
        ids = [case_id(self.run, n) for n in numbers]
        began = time.monotonic()
        for case in ids:
            self.ledger.attempted.setdefault(case, began)
        deadline = began + self.give_up_after
        while True:
            self.in_flight += 1
            try:
                answer = await stub.SubmitDocument(request, timeout=CALL_TIMEOUT)
            except grpc.aio.AioRpcError as error:
                self.ledger.errors[f"SubmitDocument {error.code().name}"] += 1
                if error.code() not in RETRYABLE or time.monotonic() > deadline:
                    for case in ids:
                        self.ledger.refused[case] = f"{error.code().name}: {error.details()}"
                    return
                await asyncio.sleep(0.3)
                continue
            finally:
                self.in_flight -= 1
            break
        now = time.monotonic()
        assert not answer.rejections, answer.rejections
        for submission in answer.submissions:
            self.ledger.accepted[submission.case_id] = now
            if HAS_QUEUED and submission.queued:
                self.ledger.queued.add(submission.case_id)
                self.ledger.queued_at.append(now)


class Receiver:
    """A member reading its inbox (one flow), acknowledging every item and handing it on; reopens on any break."""

    def __init__(self, federation: UpFederation, ledger: Ledger, jurisdiction: str, flow: int, *,
                 on_item=None, workers: int = 8) -> None:
        self.federation, self.ledger, self.jurisdiction, self.flow = federation, ledger, jurisdiction, flow
        self.on_item = on_item
        self.workers = workers
        self.call = None
        self.channel: grpc.aio.Channel | None = None
        self.stub = None  # on the current channel
        self.dropped: grpc.aio.Channel | None = None  # the channel the member closed itself
        self.stopping = asyncio.Event()
        self.sessions = 0
        self.ack_not_pending = 0

    def disconnect(self, *, channel: bool = False) -> None:
        """What a member does at a random moment: cancel its stream, or drop its whole connection."""
        if channel and self.channel is not None:
            self.dropped = self.channel
            asyncio.ensure_future(self.channel.close(grace=None))
        elif self.call is not None:
            self.call.cancel()

    async def run(self) -> None:
        work: asyncio.Queue = asyncio.Queue(maxsize=256)
        workers = [asyncio.create_task(self._work(work)) for _ in range(self.workers)]
        try:
            while not self.stopping.is_set():
                self.channel = self.federation.member_channel(self.jurisdiction)
                stub = self.stub = self.federation.adapter_stub(self.channel)
                try:
                    await self._session(stub, work)
                except Exception as error:  # whatever happens to a connection, the member connects again
                    self.ledger.errors[f"inbox session {type(error).__name__}"] += 1
                finally:
                    await self.channel.close(grace=None)
                if not self.stopping.is_set():
                    await asyncio.sleep(0.2)
        finally:
            await work.join()
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _session(self, stub, work: asyncio.Queue) -> None:
        while not self.stopping.is_set() and self.dropped is not self.channel:
            self.call = stub.OpenInbox(adapter_pb2.OpenInboxRequest(flows=[self.flow]))
            self.sessions += 1
            reading = asyncio.ensure_future(self._read(self.call, stub, work, opened=time.monotonic()))
            stopping = asyncio.ensure_future(self.stopping.wait())
            await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not reading.done():
                self.call.cancel()
            stopping.cancel()
            await asyncio.gather(reading, stopping, return_exceptions=True)
            if not self.stopping.is_set():
                await asyncio.sleep(0.1)

    async def _read(self, call, stub, work: asyncio.Queue, *, opened: float) -> None:
        try:
            async for response in call:
                item = response.item
                self.ledger.delivered(item.envelope.envelope_id, item.delivery_count,
                                      sent=self._sent_by_workload(item.envelope), session_opened=opened)
                await work.put((stub, item))
        except grpc.aio.AioRpcError as error:
            self.ledger.errors[f"OpenInbox {error.code().name}"] += 1
        except (asyncio.CancelledError, grpc.aio.UsageError, RuntimeError):
            self.ledger.errors["OpenInbox closed"] += 1

    def _sent_by_workload(self, envelope: envelope_pb2.Envelope) -> bool:
        case = envelope.envelope_id.split("/")[0]
        return case in self.ledger.attempted

    async def _work(self, work: asyncio.Queue) -> None:
        while True:
            stub, item = await work.get()
            try:
                # The member acts on what it received (its steps), whatever the acknowledgement's answer.
                if not await self._acknowledge(stub, item):
                    self.ledger.ack_unanswered.add(item.envelope.envelope_id)
                if self.on_item is not None:
                    await asyncio.wait_for(self.on_item(item), WORK_TIMEOUT)
            except asyncio.TimeoutError:
                self.ledger.errors["member work on an item stuck"] += 1
            finally:
                work.task_done()

    async def _acknowledge(self, stub, item: adapter_pb2.InboxItem) -> bool:
        for attempt in range(20):
            if attempt:  # again on the member's current connection: an item may be acknowledged in any session
                stub = self.stub or stub
            try:
                # Bounded here too: a call started as the member closes that connection may never end otherwise.
                await asyncio.wait_for(stub.AcknowledgeInboxItem(
                    adapter_pb2.AcknowledgeInboxItemRequest(item_id=item.item_id), timeout=CALL_TIMEOUT), CALL_TIMEOUT + 2)
            except grpc.aio.AioRpcError as error:
                self.ledger.errors[f"AcknowledgeInboxItem {error.code().name}"] += 1
                if error.code() not in RETRYABLE:
                    # e.g. NOT_FOUND (INBOX_ITEM_UNKNOWN): not acknowledged, the item is to come again.
                    self.ledger.ack_refused[item.envelope.envelope_id] = error.code().name
                    return True
                await asyncio.sleep(0.2)
                continue
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():
                    raise
                # grpc.aio raises CancelledError for a call its channel cancelled: the member closed that connection.
                self.ledger.errors["AcknowledgeInboxItem on a closed channel"] += 1
                await asyncio.sleep(0.2)
                continue
            except (grpc.aio.UsageError, RuntimeError, asyncio.TimeoutError):  # the member closed that connection
                self.ledger.errors["AcknowledgeInboxItem on a closed channel"] += 1
                await asyncio.sleep(0.2)
                continue
            self.ledger.acknowledged.setdefault(item.envelope.envelope_id, time.monotonic())
            return True
        return False


class Reporter:
    """Hebei's member reports each acknowledged referral as signed, then accepted (retried with its request_id)."""

    def __init__(self, federation: UpFederation, ledger: Ledger, *, give_up_after: float = 120.0) -> None:
        self.federation, self.ledger, self.give_up_after = federation, ledger, give_up_after
        self.channel: grpc.aio.Channel | None = None

    async def __call__(self, item: adapter_pb2.InboxItem) -> None:
        if not item.envelope.HasField("referral"):
            return
        case = item.envelope.referral.case.case_id
        if case in self.ledger.reported:
            return  # delivered again before its acknowledgement: its steps are reported once
        self.ledger.reported[case] = []
        if self.channel is None:
            self.channel = self.federation.member_channel("hebei")
        stub = self.federation.adapter_stub(self.channel)
        for status in STEPS:
            if not await self._report(stub, case, status):
                return
            self.ledger.reported[case].append(status)

    async def _report(self, stub, case: str, status: int) -> bool:
        request = adapter_pb2.ReportStatusRequest(request_id=f"{case}/{status}", case_id=case, status=status,
                                                  actor="河北12345", note="faults")
        deadline = time.monotonic() + self.give_up_after
        conflicts = 0
        while True:
            try:
                await stub.ReportStatus(request, timeout=CALL_TIMEOUT)
                return True
            except grpc.aio.AioRpcError as error:
                self.ledger.errors[f"ReportStatus {error.code().name}"] += 1
                if error.code() == grpc.StatusCode.ABORTED:
                    # SEQUENCE_TAKEN says: read the case again and retry if the step still applies.
                    conflicts += 1
                    if await self._already_taken(stub, case, status):
                        self.ledger.errors["ReportStatus ABORTED, step already taken"] += 1
                        return True
                if (error.code() not in RETRYABLE or time.monotonic() > deadline
                        or conflicts > MAX_STEP_CONFLICTS):
                    self.ledger.step_errors.append((case, f"{case_pb2.Status.Name(status)} {error.code().name}: "
                                                          f"{error.details()}"))
                    return False
                await asyncio.sleep(0.3)

    async def _already_taken(self, stub, case: str, status: int) -> bool:
        try:
            record = await stub.GetCase(adapter_pb2.GetCaseRequest(case_id=case), timeout=CALL_TIMEOUT)
        except grpc.aio.AioRpcError:
            return False
        return record.case.status == status

    async def close(self) -> None:
        if self.channel is not None:
            await self.channel.close()
