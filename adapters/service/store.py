"""An adapter's own memory in JetStream key-value buckets (one set per jurisdiction).

Cases: the record of every case this jurisdiction sent or received, updated with
compare-and-set so the inbox, the state tracker and ReportStatus never overwrite
each other. Requests: the first answer to each request_id, for idempotent retries.
Every key-value call raises the bus's named errors (kernel.bus.jetstream.bus_errors).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable

from nats.js import JetStreamContext
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from kernel.bus.jetstream import bus_errors
from kernel.domain.casestate import Record
from kernel.errors import UpdateContention

MAX_CAS_ATTEMPTS = 50


def _key(case_id: str) -> str:
    return base64.urlsafe_b64encode(case_id.encode("utf-8")).decode("ascii").rstrip("=")


async def _bucket(js: JetStreamContext, name: str, *, ttl: float | None = None) -> KeyValue:
    with bus_errors(f"opening bucket {name}"):
        try:
            return await js.key_value(name)
        except BucketNotFoundError:
            return await js.create_key_value(bucket=name, history=1, ttl=ttl)


class CaseStore:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext, token: str) -> "CaseStore":
        return cls(await _bucket(js, f"JJJ_CASES_{token.upper()}"))

    async def get(self, case_id: str) -> Record | None:
        record, _ = await self._read(_key(case_id))
        return record

    async def _read(self, key: str) -> tuple[Record | None, int]:
        with bus_errors("reading a case record"):
            try:
                entry = await self._kv.get(key)
            except KeyNotFoundError:
                return None, 0
        if entry.value is None:
            return None, entry.revision or 0
        return Record.FromString(entry.value), entry.revision or 0

    async def mutate(self, case_id: str, change: Callable[[Record | None], Record | None]) -> tuple[Record | None, bool]:
        """Apply `change` atomically; returns (record now stored, whether it changed)."""
        key = _key(case_id)
        for _ in range(MAX_CAS_ATTEMPTS):
            current, revision = await self._read(key)
            updated = change(current)
            if updated is None:
                return current, False
            with bus_errors(f"storing case {case_id}"):
                try:
                    if revision == 0:
                        await self._kv.create(key, updated.SerializeToString())
                    else:
                        await self._kv.update(key, updated.SerializeToString(), last=revision)
                    return updated, True
                except KeyWrongLastSequenceError:
                    continue
        raise UpdateContention(f"case {case_id}: too many concurrent updates", metadata={"caseId": case_id})


class RequestLog:
    """request_id -> first response, kept for a week."""

    TTL_SECONDS = 7 * 24 * 3600

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext, token: str) -> "RequestLog":
        return cls(await _bucket(js, f"JJJ_REQUESTS_{token.upper()}", ttl=cls.TTL_SECONDS))

    @staticmethod
    def _key(method: str, request_id: str) -> str:
        return hashlib.sha256(f"{method}\0{request_id}".encode()).hexdigest()

    async def recall(self, method: str, request_id: str) -> tuple[str, bytes] | None:
        """(fingerprint of the first request, its response bytes), if this id was seen."""
        with bus_errors("reading the request log"):
            try:
                entry = await self._kv.get(self._key(method, request_id))
            except KeyNotFoundError:
                return None
        if not entry.value:
            return None
        saved = json.loads(entry.value)
        return saved["fingerprint"], base64.b64decode(saved["response"])

    async def remember(self, method: str, request_id: str, fingerprint: str, response: bytes) -> None:
        value = json.dumps({"fingerprint": fingerprint, "response": base64.b64encode(response).decode()})
        with bus_errors("writing the request log"):
            await self._kv.put(self._key(method, request_id), value.encode())
