"""Ordered consumers are named afresh at each creation, so a reset never collides with the old consumer."""

from __future__ import annotations

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


def test_a_reset_by_start_sequence_drops_the_start_time_the_consumer_began_with():
    # What nats-py does to the kept config when an ordered consumer resets (a gap, a nats-server restart).
    kept = _NamedAtEachCreation(name="sharing_he", deliver_policy=api.DeliverPolicy.BY_START_TIME,
                                opt_start_time="2026-11-24T00:00:00Z")
    assert kept.evolve().opt_start_time == "2026-11-24T00:00:00Z"  # the first creation starts by time
    kept.deliver_policy, kept.opt_start_seq = api.DeliverPolicy.BY_START_SEQUENCE, 42
    reset = kept.evolve()
    assert (reset.deliver_policy, reset.opt_start_seq, reset.opt_start_time) == (api.DeliverPolicy.BY_START_SEQUENCE, 42, None)
    assert "opt_start_time" not in reset.as_dict()
