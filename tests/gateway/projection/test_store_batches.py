"""The projection applied in batches: one commit for many messages, the cursor with the data, a failing
message undone alone. No servers."""

from __future__ import annotations

import sqlite3

import pytest

from gateway.projection.store import SqliteProjection
from tests.gateway.projection.test_store import CASE_ID, STEPS, T0, referral, step


def committed_cursor(path) -> int:
    """What another connection (a restart) reads: only what was committed."""
    with sqlite3.connect(path) as other:
        row = other.execute("SELECT seq FROM cursors WHERE stream='S'").fetchone()
    return row[0] if row else 0


def test_a_batch_is_committed_once_by_flush_with_its_cursor(tmp_path):
    path = tmp_path / "p.sqlite3"
    store = SqliteProjection(path)
    store.batching = True
    store.apply(referral(), stream="S", stream_seq=1, observed_at=T0)
    store.apply(step(1, STEPS[0]), stream="S", stream_seq=2, observed_at=T0)
    assert store.case(CASE_ID).status == STEPS[0]  # the gateway's own queries see the open batch
    assert committed_cursor(path) == 0
    store.flush()
    assert committed_cursor(path) == 2
    store.close()


def test_a_message_that_fails_is_undone_alone_and_the_batch_goes_on(tmp_path, monkeypatch):
    path = tmp_path / "p.sqlite3"
    store = SqliteProjection(path)
    store.batching = True
    store.apply(referral(), stream="S", stream_seq=1, observed_at=T0)
    real = store._apply

    def broken(envelope, observed_at):
        real(envelope, observed_at)
        raise RuntimeError("half applied")

    monkeypatch.setattr(store, "_apply", broken)
    with pytest.raises(RuntimeError):
        store.apply(step(1, STEPS[0]), stream="S", stream_seq=2, observed_at=T0)
    monkeypatch.setattr(store, "_apply", real)
    store.flush()
    assert committed_cursor(path) == 1
    assert store.case(CASE_ID).status != STEPS[0]  # the half-applied step left nothing
    store.close()


def test_without_batching_every_message_is_committed_as_it_is_applied(tmp_path):
    path = tmp_path / "p.sqlite3"
    store = SqliteProjection(path)
    store.apply(referral(), stream="S", stream_seq=1, observed_at=T0)
    assert committed_cursor(path) == 1
    store.close()
