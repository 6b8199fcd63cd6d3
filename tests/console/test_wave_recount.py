"""The console counts the deadline wave at most every deadline_wave_recount_seconds, not every refresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.console.app import ConsoleContext
from kernel.config import Settings

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


class CountingData:
    def __init__(self) -> None:
        self.counts: list[tuple[datetime, float]] = []

    def deadline_wave(self, now: datetime, within_hours: float) -> int:
        self.counts.append((now, within_hours))
        return 100 + len(self.counts)


def _context(**alerts) -> tuple[ConsoleContext, CountingData]:
    data = CountingData()
    settings = Settings(console={"alerts": alerts})
    return ConsoleContext(settings, auth=None, data=data, bus=None, actions=None, notifier=None, layout=None), data


def test_the_wave_is_counted_again_only_after_its_recount_interval():
    ctx, data = _context(deadline_wave_recount_seconds=30, deadline_wave_hours=12)
    assert ctx._cases_due(T0) == 101
    assert ctx._cases_due(T0 + timedelta(seconds=2)) == 101  # the 2-second refresh: the count taken at T0
    assert ctx._cases_due(T0 + timedelta(seconds=29.9)) == 101
    assert ctx._cases_due(T0 + timedelta(seconds=30)) == 102
    assert data.counts == [(T0, 12), (T0 + timedelta(seconds=30), 12)]


def test_a_recount_interval_of_zero_counts_every_refresh():
    ctx, data = _context(deadline_wave_recount_seconds=0)
    for second in range(3):
        ctx._cases_due(T0 + timedelta(seconds=second))
    assert len(data.counts) == 3
