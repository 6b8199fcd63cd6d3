"""Ordered consumers are named afresh at each creation, so a reset never collides with the old consumer."""

from __future__ import annotations

import datetime

from nats.js import api

from kernel.bus.jetstream import _NamedAtEachCreation


def test_each_creation_gets_a_new_name_under_the_owner_and_the_kept_config_stays_the_owner():
    kept = _NamedAtEachCreation(name="sharing_bj", filter_subject="jjj.share.bj.*", deliver_policy=api.DeliverPolicy.ALL)
    first, second = kept.evolve(), kept.evolve(opt_start_seq=7)
    assert first.name != second.name
    assert first.name.startswith("sharing_bj_") and second.name.startswith("sharing_bj_")
    assert (second.filter_subject, second.opt_start_seq) == ("jjj.share.bj.*", 7)
    assert kept.name == "sharing_bj"
    assert "." not in first.name and len(first.name) < 64  # a valid consumer name, in a subject token


def test_a_consumer_that_began_at_a_time_is_reset_to_a_sequence_without_the_time():
    # What nats-py does to the kept config when an ordered consumer resets (after a gap or a new leader).
    started = datetime.datetime(2026, 11, 24, tzinfo=datetime.timezone.utc)
    kept = _NamedAtEachCreation(name="sharing_bj", deliver_policy=api.DeliverPolicy.BY_START_TIME, opt_start_time=started)
    assert kept.evolve().opt_start_time == started  # the first creation starts at the time
    kept.deliver_policy, kept.opt_start_seq = api.DeliverPolicy.BY_START_SEQUENCE, 42
    again = kept.evolve()
    assert (again.deliver_policy, again.opt_start_seq, again.opt_start_time) == (api.DeliverPolicy.BY_START_SEQUENCE, 42, None)
    assert "opt_start_time" not in again.as_dict()
