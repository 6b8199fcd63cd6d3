"""An adapter's own memory in JetStream key-value buckets (one set per jurisdiction).

Cases: the record of every case this jurisdiction sent or received, updated with
compare-and-set so the inbox, the state tracker and ReportStatus never overwrite
each other. (The first answer to each request_id is kept locally, in the adapter's
outbox database: adapters/service/outbox.py.)

The operator creates the buckets (kernel.bus.jetstream.provision); an adapter only
looks them up, when first needed and again after the bus lost one, so a missing
bucket answers UNAVAILABLE (BusUnavailable) and a re-provisioned one is picked up.
Every key-value call raises the bus's named errors (kernel.bus.jetstream.bus_errors).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext, api
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue

from adapters.service.records import Record
from kernel.bus import subjects
from kernel.bus.jetstream import PROVISIONING_HINT, PUBLISH_TIMEOUT_SECONDS, bus_errors
from kernel.bus.quick_paths import settle_refused_publishes, stall_bound
from kernel.bus.last_values import CoalescedLastValues, NoDirectGet
from kernel.errors import BusError, BusUnavailable, UpdateContention
from kernel.jurisdictions import Member

MAX_CAS_ATTEMPTS = 50
WRITE_SECONDS = PUBLISH_TIMEOUT_SECONDS  # a batch's compare-and-sets answered within, or each is tried again alone
# Records this process wrote last, kept with their revisions: a case's next change needs no read first.
WRITTEN_KEPT = 4_000  # about 10 MB of records; at 200 referrals/s, 20 s for a receipt to come back


def _key(case_id: str) -> str:
    return base64.urlsafe_b64encode(case_id.encode("utf-8")).decode("ascii").rstrip("=")


class Bucket:
    """A KV bucket looked up (never created) on first use, and again after the bus lost it."""

    def __init__(self, js: JetStreamContext, name: str) -> None:
        self.js = js
        self.name = name
        self._kv: KeyValue | None = None

    @contextlib.asynccontextmanager
    async def use(self):
        if self._kv is None:
            try:
                self._kv = await self.js.key_value(self.name)
            except (BucketNotFoundError, NotFoundError):
                raise BusUnavailable(f"bucket {self.name} does not exist: {PROVISIONING_HINT}") from None
        try:
            yield self._kv
        except (KeyNotFoundError, KeyWrongLastSequenceError):
            raise
        except (nats.errors.NoRespondersError, nats.js.errors.NoStreamResponseError, NotFoundError) as error:
            self._kv = None
            raise BusUnavailable(f"bucket {self.name} is gone ({error}): {PROVISIONING_HINT}") from error


class Written(NamedTuple):
    """A record as some copy says it was stored, and the revision it was stored at. `certain`: this
    process stored it last (a change found unnecessary is final); otherwise a change found unnecessary
    is checked against the bucket, and one made is compare-and-set against the revision as always."""

    data: bytes
    revision: int
    certain: bool


class CaseStore:
    """`written` remembers the records this process stored last, with their revisions (at most
    WRITTEN_KEPT): the next change of such a case (a receipt after its referral, a step) is
    compare-and-set against it without reading the bucket first. Only this jurisdiction's adapter
    writes its bucket, so a stale entry is one an earlier process of it wrote: its update fails on
    the revision, the entry is dropped and the record read as before."""

    def __init__(self, bucket: Bucket, nc: Client | None = None) -> None:
        self._bucket = bucket
        self._written: OrderedDict[str, tuple[bytes, int]] = OrderedDict()
        self._nc = nc
        # Batched reads (without a client, or once the bucket refused a direct get: key by key).
        self._reads = CoalescedLastValues(nc, f"KV_{bucket.name}") if nc is not None else None

    @classmethod
    def open(cls, js: JetStreamContext, member: Member, nc: Client | None = None) -> "CaseStore":
        return cls(Bucket(js, subjects.cases_bucket(member)), nc)

    async def get(self, case_id: str) -> Record | None:
        record, _ = await self._read(_key(case_id))
        return record

    async def get_many(self, case_ids: list[str]) -> list[Record | None]:
        """`get` of each case, in one request to the bus (a batched direct get) rather than one per case,
        shared with the other reads made meanwhile (concurrent calls of one work order each).

        A bucket that does not answer direct gets (a clustered one: kernel.bus.jetstream.direct_reads, or
        one made before they were allowed) is read key by key, from its leader. What this process wrote
        last stands when it is newer than the answer (only this jurisdiction's adapter writes here)."""
        if self._reads is None:
            return list(await asyncio.gather(*(self.get(case_id) for case_id in case_ids)))
        keys = [_key(case_id) for case_id in case_ids]
        prefix = f"$KV.{self._bucket.name}."
        try:
            with bus_errors(f"reading {len(keys)} case records"):
                async with self._bucket.use():  # the bucket exists (else BusUnavailable, as for one read)
                    pass
                found = await self._reads.read([prefix + key for key in keys])
        except NoDirectGet:
            self._reads = None
            return await self.get_many(case_ids)
        records: list[Record | None] = []
        for key in keys:
            value = found.get(prefix + key)
            written = self._written.get(key)
            if written is not None and (value is None or written[1] > value.sequence):
                records.append(Record.FromString(written[0]))
            elif value is None or value.data is None:
                records.append(None)
            else:
                records.append(Record.FromString(value.data))
        return records

    async def _read(self, key: str) -> tuple[Record | None, int]:
        with bus_errors("reading a case record"):
            try:
                async with self._bucket.use() as kv:
                    entry = await kv.get(key)
            except KeyNotFoundError:
                return None, 0
        if entry.value is None:
            return None, entry.revision or 0
        return Record.FromString(entry.value), entry.revision or 0

    async def mutate(self, case_id: str, change: Callable[[Record | None], Record | None], *,
                     likely_new: bool = False) -> tuple[Record | None, bool]:
        """Apply `change` atomically; returns (record now stored, whether it changed).

        `likely_new`: create the record without reading first (the create fails if one exists,
        and then it is read and updated as usual): one round trip for a case seen the first time."""
        key = _key(case_id)
        for attempt in range(MAX_CAS_ATTEMPTS):
            written = self._last_written(key, case_id) if attempt == 0 else None
            assumed = likely_new and attempt == 0 and written is None
            if written is not None:
                current, revision = Record.FromString(written.data), written.revision
            else:
                current, revision = (None, 0) if assumed else await self._read(key)
            updated = change(current)
            if updated is None:
                if assumed or (written is not None and not written.certain):
                    continue  # nothing to change in what we assumed: what is stored decides
                if written is not None:
                    self._remember(key, written.data, revision)  # unchanged: still what is stored
                return current, False
            data = updated.SerializeToString()
            with bus_errors(f"storing case {case_id}"):
                try:
                    async with self._bucket.use() as kv:
                        if assumed:  # expects no message on the key: fails (without a further read) if there is one
                            stored = await kv.update(key, data, last=0)
                        elif revision == 0:
                            stored = await kv.create(key, data)
                        else:
                            stored = await kv.update(key, data, last=revision)
                    self._stored(key, updated, data, stored)
                    return updated, True
                except KeyWrongLastSequenceError:
                    continue
        raise UpdateContention(f"case {case_id}: too many concurrent updates", metadata={"caseId": case_id})

    async def mutate_many(self, changes: list[tuple[str, Callable[[Record | None], Record | None], bool]]
                          ) -> list[tuple[Record | None, bool] | BaseException]:
        """`mutate` of several distinct cases (case id, change, likely_new), their first compare-and-sets sent
        together and their answers awaited once: a round trip for the batch, no task per case. A case whose
        first try does not settle it (no record kept to try against, a revision found stale, the bus
        failing) goes through `mutate` alone; each outcome is its own (its result, or the error `mutate` raised)."""
        outcomes: list[tuple[Record | None, bool] | BaseException | None] = [None] * len(changes)
        tried: list[tuple[int, str, Record, bytes, asyncio.Future]] = []
        settle_refused_publishes(self._bucket.js)  # a stale revision's refusal at once, not after WRITE_SECONDS
        for n, (case_id, change, likely_new) in enumerate(changes):
            key = _key(case_id)
            written = self._last_written(key, case_id)
            if written is None and not likely_new:
                continue  # a read first: `mutate` below
            current, revision = (Record.FromString(written.data), written.revision) if written else (None, 0)
            updated = change(current)
            if updated is None:
                if written is not None and written.certain:
                    self._remember(key, written.data, revision)
                    outcomes[n] = (current, False)
                continue  # nothing to change in what was assumed: what is stored decides, in `mutate`
            data = updated.SerializeToString()
            try:
                with bus_errors(f"storing case {case_id}"):
                    async with self._bucket.use():
                        future = await self._bucket.js.publish_async(
                            f"$KV.{self._bucket.name}.{key}", data, wait_stall=stall_bound(self._bucket.js, WRITE_SECONDS),
                            headers={api.Header.EXPECTED_LAST_SUBJECT_SEQUENCE: str(revision)})
            except BusError:
                continue
            tried.append((n, key, updated, data, future))
        if tried:
            await asyncio.wait([future for *_, future in tried], timeout=WRITE_SECONDS)
        for n, key, updated, data, future in tried:
            if future.done() and not future.cancelled() and future.exception() is None:
                self._stored(key, updated, data, future.result().seq)
                outcomes[n] = (updated, True)
            elif not future.done():
                future.cancel()
        # The others the usual way, from what is stored (a stale revision: a read, then a retry), side by side.
        unsettled = [n for n, outcome in enumerate(outcomes) if outcome is None]
        retried = await asyncio.gather(*(self.mutate(changes[n][0], changes[n][1], likely_new=changes[n][2])
                                         for n in unsettled), return_exceptions=True)
        for n, outcome in zip(unsettled, retried, strict=True):
            outcomes[n] = outcome
        return outcomes

    def _last_written(self, key: str, case_id: str) -> Written | None:
        """The record this process last stored under `key` and its revision, if it still knows them."""
        found = self._written.pop(key, None)
        return Written(*found, certain=True) if found is not None else None

    def _stored(self, key: str, record: Record, data: bytes, revision: int) -> None:
        self._remember(key, data, revision)

    def _remember(self, key: str, data: bytes, revision: int) -> None:
        self._written[key] = (data, revision)
        if len(self._written) > WRITTEN_KEPT:
            self._written.popitem(last=False)
