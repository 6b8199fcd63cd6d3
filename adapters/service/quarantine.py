"""Rejected documents are kept on disk for an operator to inspect, fix and resubmit.

Each rejection is two files named by the sha256 of the raw bytes: `<id>.bin`
(exactly what the member sent) and `<id>.json` (who, when, which field, why).
The folder holds personal data: its directories are 0700 and its files 0600, readable by
the adapter's own user only.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from kernel.codec import Rejected


class Quarantine:
    def __init__(self, directory: Path, jurisdiction: str) -> None:
        self.directory = directory / jurisdiction
        self.jurisdiction = jurisdiction

    def keep(self, rejected: Rejected, *, filename: str, document: bytes, request_id: str = "") -> str:
        raw = rejected.raw or document
        quarantine_id = hashlib.sha256(raw).hexdigest()[:32]
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        for directory in (self.directory.parent, self.directory):  # mkdir's mode reaches the leaf only
            directory.chmod(0o700)
        _write_private(self.directory / f"{quarantine_id}.bin", raw)
        meta = {
            "quarantine_id": quarantine_id,
            "jurisdiction": self.jurisdiction,
            "filename": filename,
            "request_id": request_id,
            "row": rejected.row,
            "record": rejected.record,
            "field": rejected.field,
            "reason": rejected.reason,
            "kept_at": datetime.now(UTC).isoformat(),
        }
        path = self.directory / f"{quarantine_id}.json"
        tmp = path.with_suffix(".json.tmp")
        _write_private(tmp, json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8"))
        os.replace(tmp, path)
        return quarantine_id

    def list(self) -> list[dict]:
        if not self.directory.exists():
            return []
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(self.directory.glob("*.json"))]


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)  # an existing file keeps its old mode through O_CREAT
