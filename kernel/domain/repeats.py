"""Cross-region repeat-request matching (重复诉求 / 重信重访).

A citizen who got no answer in Langfang calls Beijing about the same thing. The
gateway sees digests from all three regions and links them: same requester
(requester_key), close in time, and either similar words or the same place and
category. Rules and thresholds are data: schemas/repeats.yaml.

Chinese has no spaces between words, so similarity works on character bigrams
(overlapping pairs), which survive word order changes and small rewordings
without a segmenter. Traditional and simplified forms are not unified here.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kernel.errors import ConfigurationError
from kernel.tables import SCHEMAS_DIR, read_yaml, reject_unknown_keys
from kernel.domain.privacy import party_key
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

CONTENT, PLACE_CATEGORY = "content", "place_category"


def content_shingles(text: str) -> frozenset[str]:
    """Character bigrams of `text` after NFKC, case folding, and dropping punctuation,
    symbols, whitespace and control characters. A one-character text is its own shingle."""
    kept = "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if unicodedata.category(c)[0] in "LN")
    if len(kept) < 2:
        return frozenset(kept)  # "" -> empty set, "水" -> {"水"}
    return frozenset(kept[i : i + 2] for i in range(len(kept) - 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)  # len(a | b), without building the union


@dataclass(frozen=True)
class RepeatPolicy:
    window: dt.timedelta
    content_jaccard_min: float
    generic_categories: frozenset[str]
    max_links_per_case: int = 5
    max_cases_per_requester: int = 200

    @classmethod
    def load(cls, path: Path | None = None) -> "RepeatPolicy":
        return _default_policy() if path is None else cls._from_file(path)

    @classmethod
    def _from_file(cls, path: Path) -> "RepeatPolicy":
        data = read_yaml(path)
        reject_unknown_keys(str(path), data, {"window_days", "content_jaccard_min", "generic_categories",
                                              "max_links_per_case", "max_cases_per_requester"})
        threshold = float(data["content_jaccard_min"])
        if not 0 < threshold <= 1:
            raise ConfigurationError(f"{path}: content_jaccard_min must be in (0, 1]")
        bounds = {key: int(data.get(key, getattr(cls, key))) for key in ("max_links_per_case", "max_cases_per_requester")}
        for key, value in bounds.items():
            if value < 1:
                raise ConfigurationError(f"{path}: {key} must be at least 1, not {value}")
        return cls(
            window=dt.timedelta(days=float(data["window_days"])),
            content_jaccard_min=threshold,
            generic_categories=frozenset(data.get("generic_categories") or ()),
            **bounds,
        )


@functools.cache
def _default_policy() -> RepeatPolicy:
    return RepeatPolicy._from_file(SCHEMAS_DIR / "repeats.yaml")


@dataclass(frozen=True)
class RepeatRecord:
    """What matching needs of a case: no raw personal data, only the keyed requester hash."""

    case_id: str
    requester_key: str
    admin_code: str
    category_code: str
    received_at: dt.datetime  # aware
    shingles: frozenset[str]
    status: int = case_pb2.STATUS_UNSPECIFIED  # as last known to the matcher

    @classmethod
    def from_case(cls, case: case_pb2.Case, secret: bytes) -> "RepeatRecord":
        return cls(
            case_id=case.case_id,
            requester_key=party_key(case.requester, secret),
            admin_code=case.location.admin_code,
            category_code=case.category.code,
            received_at=case.received_at.ToDatetime(tzinfo=dt.timezone.utc),
            shingles=content_shingles(f"{case.title}\n{case.content}"),
            status=case.status,
        )

    @classmethod
    def from_digest(cls, digest: envelope_pb2.CaseDigest, text: str | None = None) -> "RepeatRecord":
        """A digest carries no content; its title stands in unless the full text is given."""
        return cls(
            case_id=digest.case_id,
            requester_key=digest.requester_key,
            admin_code=digest.admin_code,
            category_code=digest.category_code,
            received_at=digest.received_at.ToDatetime(tzinfo=dt.timezone.utc),
            shingles=content_shingles(digest.title if text is None else text),
            status=digest.status,
        )


@dataclass(frozen=True)
class Match:
    case_id: str
    score: float  # content similarity, 0..1
    reasons: tuple[str, ...]  # CONTENT and/or PLACE_CATEGORY
    status: int = case_pb2.STATUS_UNSPECIFIED  # the earlier case's, as the index knows it


@dataclass(frozen=True)
class Matches:
    """The best links (at most the policy's max_links_per_case) and how many more matched."""

    links: tuple[Match, ...]
    omitted: int


class RepeatStore(Protocol):
    """Where an index keeps its records. In memory here; an adapter keeps them on disk
    (adapters.service.repeat_store), so that its memory does not grow with the window's cases."""

    def __len__(self) -> int: ...
    def put(self, record: RepeatRecord) -> None: ...  # replaces the case's earlier record
    def remove(self, case_id: str) -> None: ...
    def records_of(self, requester_key: str) -> list[RepeatRecord]: ...
    def keep_newest(self, requester_key: str, count: int) -> None: ...
    def prune(self, received_before: dt.datetime) -> int: ...


class MemoryRepeats:
    def __init__(self) -> None:
        self._by_requester: dict[str, dict[str, RepeatRecord]] = {}
        self._requester_of: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._requester_of)

    def put(self, record: RepeatRecord) -> None:
        self.remove(record.case_id)
        self._by_requester.setdefault(record.requester_key, {})[record.case_id] = record
        self._requester_of[record.case_id] = record.requester_key

    def remove(self, case_id: str) -> None:
        key = self._requester_of.pop(case_id, None)
        if key is not None:
            del self._by_requester[key][case_id]
            if not self._by_requester[key]:
                del self._by_requester[key]

    def records_of(self, requester_key: str) -> list[RepeatRecord]:
        return list(self._by_requester.get(requester_key, {}).values())

    def keep_newest(self, requester_key: str, count: int) -> None:
        records = self.records_of(requester_key)
        for record in sorted(records, key=_age)[: max(0, len(records) - count)]:
            self.remove(record.case_id)

    def prune(self, received_before: dt.datetime) -> int:
        old = [case_id for records in self._by_requester.values() for case_id, record in records.items()
               if record.received_at < received_before]
        for case_id in old:
            self.remove(case_id)
        return len(old)


def _age(record: RepeatRecord) -> tuple[dt.datetime, str]:
    """Oldest first; a tie goes by case id, so that every store drops the same one."""
    return record.received_at, record.case_id


class RepeatIndex:
    def __init__(self, window: dt.timedelta | None = None, *, policy: RepeatPolicy | None = None,
                 store: RepeatStore | None = None) -> None:
        self.policy = policy or RepeatPolicy.load()
        self.window = window if window is not None else self.policy.window
        self.store: RepeatStore = store if store is not None else MemoryRepeats()

    def __len__(self) -> int:
        return len(self.store)

    def add(self, record: RepeatRecord) -> None:
        """Index a case; a resent case replaces its earlier record. Anonymous cases are not indexed.
        A requester's oldest cases beyond the policy's max_cases_per_requester are forgotten."""
        if not record.requester_key:
            self.store.remove(record.case_id)
            return
        self.store.put(record)
        self.store.keep_newest(record.requester_key, self.policy.max_cases_per_requester)

    def add_all(self, records: Iterable[RepeatRecord]) -> None:
        for record in records:
            self.add(record)

    def remove(self, case_id: str) -> None:
        self.store.remove(case_id)

    def prune(self, received_before: dt.datetime) -> int:
        """Forget cases received before the given time (outside any future window); returns how many."""
        return self.store.prune(received_before)

    def match(self, record: RepeatRecord) -> list[Match]:
        """Earlier or later cases of the same requester that look like the same matter, best first (bounded)."""
        return list(self.find(record).links)

    def find(self, record: RepeatRecord) -> Matches:
        every = self._all_matches(record)
        kept = every[: self.policy.max_links_per_case]
        return Matches(tuple(kept), len(every) - len(kept))

    def _all_matches(self, record: RepeatRecord) -> list[Match]:
        if not record.requester_key:
            return []
        matches = []
        mine = frozenset(record.shingles)  # once, not per pair (a packed sketch is unpacked to compare)
        for other in self.store.records_of(record.requester_key):
            if other.case_id == record.case_id or abs(other.received_at - record.received_at) > self.window:
                continue
            score = jaccard(mine, frozenset(other.shingles))
            reasons = []
            if score >= self.policy.content_jaccard_min:
                reasons.append(CONTENT)
            if self._same_place_and_category(record, other):
                reasons.append(PLACE_CATEGORY)
            if reasons:
                matches.append(Match(other.case_id, round(score, 4), tuple(reasons), other.status))
        return sorted(matches, key=lambda m: (-m.score, m.case_id))

    def _same_place_and_category(self, a: RepeatRecord, b: RepeatRecord) -> bool:
        return (
            bool(a.admin_code)
            and bool(a.category_code)
            and a.admin_code == b.admin_code
            and a.category_code == b.category_code
            and a.category_code not in self.policy.generic_categories
        )
