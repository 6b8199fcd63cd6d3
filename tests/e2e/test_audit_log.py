"""The gateway's audit log after a real flow: complete, verifiable, and any edit of the SQLite file is named."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from cli.main import main
from gateway.audit.store import anchors_path
from kernel.security import envelopes as signed
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2 as c
from tests.conftest import SHARED
from tests.support.bus import Bus
from tests.support.relay import eventually, submit_request, take

SANHE, SANHE_ID = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json", "jjj:BJ:BJ2026112400002001"
COLUMNS = "at, kind, envelope_id, case_id, sender, destination, status, step, digest, key_id, prev_hash, hash"


@pytest.fixture
async def flow_log(federation, settings, tmp_path, monkeypatch):
    """A referral, its receipt, two steps and a tampered copy, recorded; the gateway stopped. Returns the log's path."""
    settings.audit.anchor_every = 4
    await federation.start("beijing", "hebei")
    await federation.start_gateway()
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1)
    for status in (c.STATUS_RECEIVED, c.STATUS_ACCEPTED):
        await hebei.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=status))
    bus = await Bus.connect(settings.nats_url)
    (referral,) = await bus.stored("JJJ_REFERRALS")
    await bus.inject("jjj.referral.he.bj", referral.data[:-1] + bytes([referral.data[-1] ^ 1]))
    await bus.close()

    store = federation.gateway.auditor.store

    async def all_recorded():
        kinds = [(r.kind, r.status) for r in store.records(SANHE_ID)]
        return kinds if ("dead_letter", "dead:DEAD_LETTER_REASON_BAD_SIGNATURE") in kinds and len(
            [k for k in kinds if k[0] == "status"]) == 2 and ("receipt", "verified") in kinds else None

    await eventually(all_recorded)
    await federation.gateway.stop(grace=0.5)
    federation.gateway = None
    monkeypatch.setenv("JJJ_SECURITY__KEYS_DIR", str(settings.keys_dir()))
    monkeypatch.setenv("JJJ_NATS_URL", settings.nats_url)
    monkeypatch.setenv("JJJ_TLS__PKI_DIR", str(settings.pki().root))
    return settings.audit_path(), referral.data


async def jjj(*args: str) -> int:
    """The command as an operator runs it (in a thread: it runs its own event loop for --bus)."""
    return await asyncio.to_thread(main, list(args))


def tampered_copy(source: Path, target: Path, *statements: str) -> Path:
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        for statement in statements:
            dst.execute(statement)
        dst.commit()
    anchors_path(target).write_bytes(anchors_path(source).read_bytes())
    return target


def rows(db: Path) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return connection.execute(f"SELECT seq, {COLUMNS} FROM audit ORDER BY seq").fetchall()


async def test_the_flow_is_recorded_and_verifies_and_show_prints_the_case(flow_log, capsys):
    db, referral_bytes = flow_log
    assert await jjj("audit", "verify", "--db", str(db), "--bus") == 0
    assert "records intact" in capsys.readouterr().out
    assert await jjj("audit", "show", SANHE_ID, "--db", str(db)) == 0
    shown = capsys.readouterr().out
    for expected in ("referral", "receipt", "STATUS_RECEIVED", "STATUS_ACCEPTED", "dead:DEAD_LETTER_REASON_BAD_SIGNATURE"):
        assert expected in shown
    recorded = {row[3]: row for row in rows(db) if row[2] == "referral" and row[7] == "verified"}
    # The referral's digest in the log is the one its receipt quotes: the proof and the log agree.
    assert recorded[f"{SANHE_ID}/referral/1"][9] == signed.digest(referral_bytes).hex()


async def test_a_changed_removed_or_swapped_row_fails_verification_naming_the_record(flow_log, tmp_path, capsys):
    db, _ = flow_log
    table = rows(db)
    dead = next(row[0] for row in table if row[2] == "dead_letter")
    middle = table[len(table) // 2][0]
    swap = (f"UPDATE audit SET ({COLUMNS}) = (SELECT {COLUMNS} FROM audit WHERE seq={middle + 1}) WHERE seq={middle}",
            f"UPDATE audit SET ({COLUMNS}) = (SELECT {COLUMNS} FROM t WHERE seq={middle}) WHERE seq={middle + 1}")
    cases = {
        "changed": (tampered_copy(db, tmp_path / "changed.sqlite3", f"UPDATE audit SET status='verified' WHERE seq={dead}"),
                    f"record {dead}: changed"),
        "removed": (tampered_copy(db, tmp_path / "removed.sqlite3", f"DELETE FROM audit WHERE seq={middle}"),
                    f"record {middle}: removed"),
        "reordered": (tampered_copy(db, tmp_path / "reordered.sqlite3", "CREATE TEMP TABLE t AS SELECT * FROM audit", *swap),
                      f"record {middle}: reordered"),
    }
    for name, (copy, named) in cases.items():
        assert await jjj("audit", "verify", "--db", str(copy)) == 1, name
        assert named in capsys.readouterr().err, name
    assert await jjj("audit", "verify", "--db", str(db)) == 0


async def test_a_log_cut_after_an_anchor_is_found_from_the_anchors_file_or_the_bus(flow_log, tmp_path, capsys):
    db, _ = flow_log
    anchors = anchors_path(db).read_text().splitlines()
    assert anchors  # every 4 records, and at stop
    last = rows(db)[-1][0]
    keep = 2
    cut = tampered_copy(db, tmp_path / "cut.sqlite3", f"DELETE FROM audit WHERE seq > {keep}")
    assert await jjj("audit", "verify", "--db", str(cut)) == 1
    assert f"record {keep + 1}: truncated" in capsys.readouterr().err
    anchors_path(cut).write_text("")  # the anchors beside it cut too: the bus still has them
    assert await jjj("audit", "verify", "--db", str(cut)) == 0
    capsys.readouterr()
    assert await jjj("audit", "verify", "--db", str(cut), "--bus") == 1
    assert f"{keep + 1}..{last}" in capsys.readouterr().err
