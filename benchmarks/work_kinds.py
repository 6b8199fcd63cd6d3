"""A process's profile by kind of work, in µs per referral: what a referral's CPU is spent on.

py-spy's collapsed stacks say where the samples fell; this sorts each sample by its innermost frame
into a few kinds (the event loop, the NATS client, signatures, mapping, the project's own service code,
...) and turns the shares into µs of the process's measured CPU per referral. The µs assume the
samples spread like the CPU does: with `--gil` they count only the thread holding the GIL, so a
process's system time (socket writes, fsync) is spread over the kinds by their Python time.

Native code with no Python frame of its own is counted where Python called it: gRPC's Cython
callbacks and the C parts of asyncio's tasks fall on `Handle._run`, so under "event loop".
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

# The first pattern that matches the innermost frame names its kind; the project's own code last,
# so that its calls into tracing or logging count as those.
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((kind, re.compile(pattern)) for kind, pattern in (
    ("tracing", r"opentelemetry|/trace/|attributes/__init__|kernel/observability/tracing|propagation/"),
    ("logs and metrics", r"structlog|logging/|prometheus_client|kernel/observability/(logs|metrics)|json/"),
    ("signatures", r"nacl/|kernel/security/signing"),
    ("NATS client", r"\(nats/"),
    ("gRPC, its Python layer", r"\(grpc/"),
    ("event loop, and native callbacks", r"asyncio/|selectors\.py|concurrent/|threading\.py"),
    ("protobuf", r"protobuf/"),
    ("mapping and codecs", r"adapters/(beijing|tianjin|hebei)/|kernel/normalize|kernel/codec|pydantic|csv\.py|codecs\.py"),
    ("domain rules", r"kernel/domain/"),
    ("service code: records, inbox, projection, audit, bus I/O", r"adapters/|gateway/|kernel/|cli/"),
))
OTHER = "the interpreter and the rest of the standard library"


def kind_of(frame: str) -> str:
    for kind, pattern in KINDS:
        if pattern.search(frame):
            return kind
    return OTHER


def samples_by_kind(collapsed: Path) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit() and stack:
            counts[kind_of(stack.split(";")[-1])] += int(count)
    return counts


def by_kind(collapsed: Path, cpu_ms_per_referral: float) -> list[str]:
    """One line per kind, heaviest first: its share of the samples and its µs of CPU per referral."""
    counts = samples_by_kind(collapsed)
    total = sum(counts.values())
    if not total:
        return ["  (no samples)"]
    lines = [f"  by kind of work ({cpu_ms_per_referral:.3f} ms CPU per referral):"]
    lines += [f"    {100 * n / total:5.1f}%  {1000 * cpu_ms_per_referral * n / total:6.0f} µs  {kind}"
              for kind, n in counts.most_common()]
    return lines
