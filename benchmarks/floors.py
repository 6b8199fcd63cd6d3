"""Floors: the bare cost of reading each format with the standard library, measured in the same run.

A mapping rate is reported as a ratio to its floor, so that a noisy or slower
machine moves both numbers together and the ratio stays comparable.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from xml.etree import ElementTree

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "shared" / "jurisdictions"


def _best_rate(action, count: int, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return count / best


def beijing_floor(documents: int = 20_000) -> float:
    """json.loads of the Chaoyang work order, documents/s."""
    raw = (SAMPLES / "beijing/samples/valid/bj_rx_complaint_chaoyang.json").read_bytes()
    return _best_rate(lambda: [json.loads(raw) for _ in range(documents)], documents)


def tianjin_floor(documents: int = 5_000) -> float:
    """ElementTree.fromstring of the Heping work order, documents/s."""
    raw = (SAMPLES / "tianjin/samples/valid/tj_complaint_heping.xml").read_bytes()
    return _best_rate(lambda: [ElementTree.fromstring(raw) for _ in range(documents)], documents)


def hebei_floor(rows: int = 100_000) -> float:
    """GB18030 decode + csv.reader of the mixed sample's rows, rows/s."""
    lines = (SAMPLES / "hebei/samples/valid/hb_mixed_four.csv").read_bytes().split(b"\r\n")
    body = b"\r\n".join([lines[0]] + [lines[1 + i % 4] for i in range(rows)]) + b"\r\n"

    def read() -> None:
        for _ in csv.reader(io.StringIO(body.decode("gb18030"))):
            pass

    return _best_rate(read, rows)
