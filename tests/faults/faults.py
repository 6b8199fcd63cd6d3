"""The faults, each injected into a running Stream at a moment it chooses; each records the moment it struck."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time

from nats.errors import NoRespondersError
from nats.js.errors import NotFoundError

from kernel.bus import subjects
from kernel.jurisdictions import by_name
from jjj.bus.v1 import envelope_pb2
from tests.faults.scenario import Stream
from tests.support.secure import connect_as

POISON_ENVELOPE_ID = "jjj:BJ:BJ2026999999999999/referral/1"


async def _until_serving(stream: Stream, *names: str, timeout: float = 90.0) -> None:
    await stream.when(lambda: all(stream.federation.serving(name) for name in names), timeout=timeout,
                      what=f"{', '.join(names)} SERVING again")


async def nats_killed(stream: Stream) -> None:
    """kill -9 of the single nats-server while referrals flow; `jjj up` restarts it on its port and store."""
    await stream.when(lambda: stream.delivered_share() > 0.25, what="a quarter delivered")
    before = stream.federation.restarts_said("nats")
    stream.fault_now()
    stream.federation.kill("nats")
    await stream.when(lambda: stream.federation.restarts_said("nats") > before, timeout=30, what="nats restarted")
    await _until_serving(stream, "beijing", "hebei", "gateway")


async def receiver_killed(stream: Stream) -> None:
    """kill -9 of the receiving adapter (Hebei) while it holds delivered, unacknowledged items."""
    await stream.when(lambda: stream.delivered_share() > 0.3 and _unacknowledged(stream) > 0,
                      what="the receiver mid-delivery")
    stream.fault_now()
    stream.federation.kill("hebei")
    await _until_serving(stream, "hebei")


async def sender_killed(stream: Stream) -> None:
    """kill -9 of the sending adapter (Beijing) while submissions are in flight (accepted, not yet answered)."""
    await stream.when(lambda: stream.accepted_share() > 0.3 and stream.sender.in_flight > 0,
                      what="submissions in flight")
    stream.fault_now()
    stream.federation.kill("beijing")
    await _until_serving(stream, "beijing")


def stream_cancellations(count: int, seed: int = 20261201):
    async def inject(stream: Stream) -> None:
        """The member system cancelling its inbox stream, or dropping its connection, at random moments."""
        rng = random.Random(seed)
        await stream.when(lambda: stream.delivered_share() > 0.05, what="deliveries started")
        for _ in range(count):
            await asyncio.sleep(rng.uniform(0.05, 0.6))
            stream.fault_now()
            stream.receiver.disconnect(channel=rng.random() < 0.2)
            if stream.delivered_share() >= 1.0:
                break

    return inject


async def poison_message(stream: Stream) -> None:
    """Among the good referrals, bytes on Hebei's referral subject that are no signed envelope from Beijing."""
    await stream.when(lambda: stream.delivered_share() > 0.3, what="a third delivered")
    federation = stream.federation
    nc = await connect_as(f"tls://127.0.0.1:{federation.ports['nats']}", federation.layout)
    try:
        js = nc.jetstream()
        subject = subjects.subject(envelope_pb2.FLOW_REFERRAL, by_name("hebei"), by_name("beijing"))
        unsigned = envelope_pb2.Envelope(envelope_id=POISON_ENVELOPE_ID, flow=envelope_pb2.FLOW_REFERRAL,
                                         sender=by_name("beijing").enum, destination=by_name("hebei").enum)
        stream.fault_now()
        await js.publish(subject, b"\x00not an envelope\xff", headers={"Nats-Msg-Id": "faults-poison-garbage"})
        await js.publish(subject, unsigned.SerializeToString(), headers={"Nats-Msg-Id": "faults-poison-unsigned"})
        # Behind every referral already queued for Hebei (thousands in a long run): as long as the rest takes to settle.
        stream.poisoned = await _dead_letters_of(js, stream, 2, timeout=max(60.0, stream.settle_seconds))
    finally:
        await nc.close()


async def _dead_letters_of(js, stream: Stream, count: int, timeout: float = 60.0) -> list[envelope_pb2.DeadLetter]:
    """The dead letters of Hebei's receiver once `count` are there (read as the operator, consumer-less)."""
    deadline = time.monotonic() + timeout
    while True:
        letters = []
        try:
            info = await js.stream_info(subjects.DEAD_LETTER_STREAM)
            if info.state.messages:
                for sequence in range(info.state.first_seq, info.state.last_seq + 1):
                    try:
                        raw = await js.get_msg(subjects.DEAD_LETTER_STREAM, sequence)
                    except NotFoundError:
                        continue
                    letters.append(envelope_pb2.DeadLetter.FromString(raw.data))
        except NoRespondersError:
            pass
        hebei = [letter for letter in letters if letter.receiver == by_name("hebei").enum]
        if len(hebei) >= count or time.monotonic() > deadline:
            return hebei
        await asyncio.sleep(0.5)


def bus_unreachable(seconds: float):
    async def inject(stream: Stream) -> None:
        """nats-server stopped (SIGSTOP: connections hang, nothing answers) for `seconds`, members still submitting."""
        await stream.when(lambda: stream.accepted_share() > 0.2, what="a fifth accepted")
        pid = stream.federation.pid("nats")
        stream.fault_now()
        os.kill(pid, signal.SIGSTOP)
        stream.outage = (time.monotonic(), None)
        try:
            await asyncio.sleep(seconds)
        finally:
            os.kill(pid, signal.SIGCONT)
            stream.outage = (stream.outage[0], time.monotonic())
        await _until_serving(stream, "beijing", "hebei", "gateway")

    return inject


async def cluster_node_killed(stream: Stream) -> None:
    """One of three nats-servers killed under load; `jjj up` brings it back."""
    await stream.when(lambda: len(stream.federation.pids("nats")) == 3, timeout=30, what="three nats-servers")
    await stream.when(lambda: stream.delivered_share() > 0.3, what="a third delivered")
    nodes = stream.federation.pids("nats")
    stream.fault_now()
    os.kill(nodes[1], signal.SIGKILL)
    await stream.when(lambda: len([p for p in stream.federation.pids("nats") if p != nodes[1]]) == 3, timeout=60,
                      what="the node brought back")


def _unacknowledged(stream: Stream) -> int:
    ledger = stream.ledger
    return sum(1 for envelope_id in ledger.deliveries if "/referral/" in envelope_id and envelope_id not in ledger.acknowledged)
