"""The restart policy of `jjj up`: capped back-off, at most `limit` restarts within a sliding window, then backing off."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from cli.restarts import Decision, RestartPolicy

POLICY = RestartPolicy(limit=5, window_seconds=60.0)


def test_the_limit_within_the_window_is_reached_at_the_fifth_restart():
    restarts = [100.0, 101.0, 103.0, 107.0]
    assert POLICY.allows(restarts, now=110.0)
    assert not POLICY.allows([*restarts, 110.0], now=111.0)


def test_restarts_older_than_the_window_no_longer_count():
    restarts = [0.0, 1.0, 2.0, 3.0, 4.0]
    assert not POLICY.allows(restarts, now=59.9)
    assert POLICY.allows(restarts, now=60.0)  # the first restart has just left the window
    assert POLICY.recent(restarts, now=62.5) == [3.0, 4.0]


def test_a_process_crashing_every_minute_is_restarted_for_ever():
    restarts: list[float] = []
    for crash in range(20):
        now = crash * 61.0
        assert POLICY.allows(restarts, now)
        restarts.append(now)
    assert len(POLICY.recent(restarts, now=restarts[-1])) == 1


@given(st.lists(st.floats(min_value=0, max_value=1000), max_size=30))
def test_no_window_ever_holds_more_than_the_limit_and_a_refusal_means_it_is_full(crashes):
    admitted: list[float] = []
    for now in sorted(crashes):
        if POLICY.allows(admitted, now):
            admitted.append(now)
        else:
            assert len([at for at in admitted if now - at < POLICY.window_seconds]) == POLICY.limit
    for start in admitted:
        assert len([at for at in admitted if start <= at < start + POLICY.window_seconds]) <= POLICY.limit


def test_the_backoff_grows_and_is_capped():
    assert [POLICY.backoff_seconds(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_a_death_within_the_limit_is_restarted_after_the_growing_backoff():
    assert POLICY.decide([], now=10.0) == Decision(1.0, backing_off=False, restart_number=1)
    assert POLICY.decide([5.0, 7.0], now=10.0) == Decision(4.0, backing_off=False, restart_number=3)


def test_a_process_that_used_up_its_window_backs_off_until_its_oldest_restart_leaves_it():
    restarts = [100.0, 101.0, 103.0, 107.0, 112.0]
    decision = POLICY.decide(restarts, now=113.0)
    assert decision.backing_off
    assert decision.delay_seconds == 47.0  # 100 + 60 - 113
    assert POLICY.allows(restarts, now=113.0 + decision.delay_seconds)


def test_backing_off_never_waits_less_than_the_capped_backoff():
    restarts = [0.0, 1.0, 2.0, 3.0, 4.0]
    decision = POLICY.decide(restarts, now=59.0)
    assert decision.backing_off and decision.delay_seconds == 5.0


@given(st.lists(st.floats(min_value=0, max_value=1000), max_size=30), st.floats(min_value=0, max_value=1000))
@example([68.24089919350779] * 5, 0.0)  # just restarted five times: room exactly one window later, rounding and all
def test_the_planned_restart_is_always_allowed_when_it_comes(restarts, offset):
    now = max(restarts, default=0.0) + offset
    decision = POLICY.decide(restarts, now)
    assert 0 < decision.delay_seconds <= POLICY.window_seconds
    assert decision.backing_off == (not POLICY.allows(restarts, now))
    assert POLICY.allows(restarts, now + decision.delay_seconds)
