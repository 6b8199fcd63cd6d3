"""The adapter's record of what its member acknowledged: private, durable across reopening, pruned by age."""

from __future__ import annotations

import stat
import time

from adapters.service.acknowledged import AcknowledgedLog, log_path

DAY = 86400.0


async def test_the_record_is_private_and_survives_reopening(tmp_path):
    path = log_path(tmp_path, "hebei")
    record = AcknowledgedLog(path, retention_seconds=90 * DAY)
    await record.record("jjj:BJ:1/referral/1", "JJJ_REFERRALS:7")
    record.close()

    again = AcknowledgedLog(path, retention_seconds=90 * DAY)
    assert await again.contains("jjj:BJ:1/referral/1")
    assert not await again.contains("jjj:BJ:1/referral/2")
    found = await again.by_item("JJJ_REFERRALS:7")
    assert found is not None and found.envelope_id == "jjj:BJ:1/referral/1"
    assert await again.by_item("JJJ_REFERRALS:8") is None
    for file in path.parent.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    again.close()


async def test_a_repeated_acknowledgement_keeps_the_first_time(tmp_path):
    record = AcknowledgedLog(log_path(tmp_path, "beijing"), retention_seconds=DAY)
    await record.record("e/1", "S:1", at=1000.0)
    await record.record("e/1", "S:1", at=2000.0)
    assert (await record.by_item("S:1")).acknowledged_at == 1000.0
    record.close()


async def test_acknowledgements_older_than_the_retention_are_pruned_and_younger_kept(tmp_path):
    record = AcknowledgedLog(log_path(tmp_path, "tianjin"), retention_seconds=90 * DAY)
    now = time.time()
    await record.record("old", "S:1", at=now - 91 * DAY)
    await record.record("young", "S:2", at=now - 89 * DAY)
    assert await record.prune(now=now) == 1
    assert not await record.contains("old") and await record.contains("young")
    assert await record.count() == 1
    record.close()


async def test_what_an_item_showed_is_known_to_the_next_process_and_the_latest_showing_wins(tmp_path):
    path = log_path(tmp_path, "hebei")
    first = AcknowledgedLog(path, retention_seconds=90 * DAY)
    first.note_shown("JJJ_REFERRALS:7", "jjj:BJ:1/referral/1")
    assert (await first.shown_envelope("JJJ_REFERRALS:7"))[0] == "jjj:BJ:1/referral/1"  # before it is written
    await first.flush_shown()
    first.note_shown("JJJ_REFERRALS:8", "jjj:BJ:2/referral/1")  # not flushed: closing writes it
    first.close()

    again = AcknowledgedLog(path, retention_seconds=90 * DAY)
    assert (await again.shown_envelope("JJJ_REFERRALS:7"))[0] == "jjj:BJ:1/referral/1"
    assert (await again.shown_envelope("JJJ_REFERRALS:8"))[0] == "jjj:BJ:2/referral/1"
    assert await again.shown_envelope("JJJ_REFERRALS:9") is None
    # A stream re-created after a lost store numbers its items afresh: the newest showing is the one kept.
    again.note_shown("JJJ_REFERRALS:7", "jjj:BJ:3/referral/1")
    await again.flush_shown()
    assert (await again.shown_envelope("JJJ_REFERRALS:7"))[0] == "jjj:BJ:3/referral/1"
    again.close()


async def test_pruning_forgets_the_showing_of_acknowledged_items_and_keeps_the_waiting_ones(tmp_path):
    record = AcknowledgedLog(log_path(tmp_path, "hebei"), retention_seconds=90 * DAY)
    record.note_shown("S:1", "e/1")
    record.note_shown("S:2", "e/2")
    await record.flush_shown()
    await record.record("e/1", "S:1")
    await record.prune()
    assert await record.shown_envelope("S:1") is None
    assert (await record.shown_envelope("S:2"))[0] == "e/2"
    record.close()
