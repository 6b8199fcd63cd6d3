"""`jjj map` and `jjj route`: the mapping as a command-line contract for member engineers and harnesses.

Cases go to stdout as canonical protobuf JSON, one per line; every rejection is
one line on stderr (file, row where there is one, field, reason); never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

from kernel import jsonl
from kernel.codec import Accepted, Outcome, Rejected
from kernel.jsonl import case_json
from adapters.registry import codec_for
from kernel import jurisdictions

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


def _outcomes(source: str, file: Path) -> Iterator[Outcome]:
    # A codec that can streams the file (Hebei, row by row); the others read it whole.
    with file.open("rb") as handle:
        yield from codec_for(source).decode_stream(handle)


def _guarded(run) -> int:
    try:
        return run()
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # the contract: a message, never a traceback
        print(f"jjj: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_REJECTED


def to_common(source: str, file: Path) -> int:
    def run() -> int:
        rejected = 0
        out = sys.stdout
        for outcome in _outcomes(source, file):
            if isinstance(outcome, Accepted):
                out.write(case_json(outcome.case) + "\n")
            else:
                rejected += 1
                print(outcome.message(str(file)), file=sys.stderr)
        out.flush()
        return EXIT_REJECTED if rejected else EXIT_OK

    return _guarded(run)


def from_common(target: str, file: Path, output: Path | None) -> int:
    def run() -> int:
        cases, rejected = [], 0
        for outcome in jsonl.CODEC.decode(file.read_bytes()):
            if isinstance(outcome, Rejected):
                rejected += 1
                print(outcome.message(str(file)), file=sys.stderr)
            else:
                cases.append(outcome.case)
        if cases:
            document = codec_for(target).encode(cases)
            if output is None:
                sys.stdout.buffer.write(document)
                sys.stdout.buffer.flush()
            else:
                output.write_bytes(document)
        return EXIT_REJECTED if rejected else EXIT_OK

    return _guarded(run)


def route(source: str, file: Path) -> int:
    def run() -> int:
        rejected = 0
        for outcome in _outcomes(source, file):
            if isinstance(outcome, Accepted):
                member = jurisdictions.competent_for(outcome.case.location.admin_code)
                name = member.enum_name if member else "JURISDICTION_UNSPECIFIED"
                print(f"{outcome.case.case_id} {name}")
            else:
                rejected += 1
                print(outcome.message(str(file)), file=sys.stderr)
        return EXIT_REJECTED if rejected else EXIT_OK

    return _guarded(run)


def quarantine(directory: Path, action: str, quarantine_id: str, jurisdiction: str | None) -> int:
    """List what was rejected (one line each: id, jurisdiction, when, where, why), or show one."""
    from adapters.service.quarantine import Quarantine

    names = [jurisdiction] if jurisdiction else jurisdictions.names()
    kept = [(name, meta) for name in names for meta in Quarantine(directory, name).list()]
    if action == "list":
        for name, meta in sorted(kept, key=lambda item: item[1]["kept_at"]):
            where = f"row {meta['row']}" if meta["row"] else (f"record {meta['record']}" if meta["record"] >= 0 else "document")
            print(f"{meta['quarantine_id']}  {name:<8} {meta['kept_at']}  {meta['filename'] or '-'} {where}: "
                  f"{meta['field']}: {meta['reason']}")
        return EXIT_OK
    for name, meta in kept:
        if meta["quarantine_id"] == quarantine_id:
            print(json.dumps(meta, ensure_ascii=False, indent=2))
            print(f"document: {directory / name / (quarantine_id + '.bin')}")
            return EXIT_OK
    print(f"jjj quarantine: no kept document {quarantine_id!r}", file=sys.stderr)
    return EXIT_USAGE
