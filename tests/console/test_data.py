"""The console's reading of the projection file: repeat links, who a case touches, pair figures."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.console.data import ConsoleData, percentile
from gateway.console.roles import Principal
from gateway.projection.store import SqliteProjection
from kernel import jurisdictions
from kernel.domain.deadlines import DeadlinePolicy
from kernel.domain.watcher import DeadlineWatcher
from jjj.case.v1 import case_pb2

BJ, TJ, HE = (jurisdictions.by_name(name).enum for name in ("beijing", "tianjin", "hebei"))
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _projection(tmp_path):
    store = SqliteProjection(tmp_path / "projection.sqlite3")
    recent = (NOW - timedelta(minutes=1)).isoformat()
    rows = [("jjj:BJ:B1/referral/1", "jjj:BJ:B1", recent, 1, BJ, HE, 3), ("jjj:BJ:B1/status/1", "jjj:BJ:B1", recent, 3, HE, BJ, 4),
            ("jjj:HE:H9/repeat/jjj:BJ:B1/bj", "", recent, 4, HE, BJ, 0)]
    for envelope_id, case_id, at, flow, sender, destination, status in rows:
        store.db.execute("INSERT INTO trail(envelope_id, case_id, at, flow, sender, destination, status, actor, note, sequence,"
                         " observed_at, lag_ms, day) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         (envelope_id, case_id, at, flow, sender, destination, status, "", "", 1, at, 12.5, "2026-12-01"))
    store.db.execute("INSERT INTO cases(case_id, origin, holder, status, sequence, attempt, returned_count) VALUES(?,?,?,?,?,?,?)",
                     ("jjj:BJ:B1", BJ, HE, 3, 1, 1, 2))
    store.close()
    return ConsoleData(tmp_path / "projection.sqlite3", tmp_path / "no-audit.sqlite3")


def test_repeat_links_and_who_a_case_touches(tmp_path):
    data = _projection(tmp_path)
    assert data.case("jjj:BJ:B1", NOW)["repeats"] == ["jjj:HE:H9"]
    assert data.touching("jjj:BJ:B1") == {BJ, HE}
    assert not Principal("wang", "jurisdiction", "tianjin").sees_case(data.touching("jjj:BJ:B1"))
    assert data.case_exists("jjj:BJ:B1") and not data.case_exists("jjj:BJ:nothing")


def test_pair_figures_count_per_direction_and_scope(tmp_path):
    data = _projection(tmp_path)
    figures = {(f["sender"], f["destination"]): f for f in data.pair_figures(Principal("li", "federation"), NOW, {("he", "bj"): 2})}
    assert figures[("beijing", "hebei")]["waiting_to_sign"] == 1 and figures[("beijing", "hebei")]["returned"] == 2
    assert figures[("beijing", "hebei")]["per_minute"] == 0.2  # one message in the last five minutes
    assert figures[("beijing", "hebei")]["dead_letters"] == 2  # letters to Hebei from Beijing
    assert figures[("hebei", "beijing")]["dead_letters"] == 0
    tianjin = data.pair_figures(Principal("wang", "jurisdiction", "tianjin"), NOW, {})
    assert {(f["sender"], f["destination"]) for f in tianjin} == {("beijing", "tianjin"), ("tianjin", "beijing"),
                                                                 ("tianjin", "hebei"), ("hebei", "tianjin")}


def test_percentiles():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 0.99)) == (51.0, 95.0, 99.0)
    assert percentile([], 0.5) == 0.0


# -- the deadline-wave count -------------------------------------------------

_CASE_IDS = [f"jjj:BJ:W{n}" for n in range(8)]


def _wave_projection(directory, cases, clocks, parties=None):
    """cases: case_id -> (attempt, status, due in hours or None, overdue); clocks: (case_id, step, started hours ago);
    parties: case_id -> (origin, holder), Beijing to Hebei when not given."""
    store = SqliteProjection(directory / "projection.sqlite3")
    for case_id, (attempt, status, due_hours, overdue) in cases.items():
        due_at = None if due_hours is None else (NOW + timedelta(hours=due_hours)).isoformat()
        origin, holder = (parties or {}).get(case_id, (BJ, HE))
        store.db.execute("INSERT INTO cases(case_id, origin, holder, status, sequence, attempt, due_at, overdue)"
                         " VALUES(?,?,?,?,?,?,?,?)", (case_id, origin, holder, status, 1, attempt, due_at, int(overdue)))
    store.db.commit()
    store.close()
    policy = DeadlinePolicy.load()
    watcher = DeadlineWatcher(policy, lambda: NOW)
    for case_id, step, hours_ago in clocks:
        watcher.track(case_id, step, start=NOW - timedelta(hours=hours_ago), jurisdiction="hebei")
    return ConsoleData(directory / "projection.sqlite3", directory / "no-audit.sqlite3", watcher)


_STEPS = sorted(DeadlinePolicy.load().steps)


@settings(max_examples=60, deadline=None)
@given(cases=st.dictionaries(st.sampled_from(_CASE_IDS), st.tuples(
           st.sampled_from([0, 1, 2]), st.sampled_from([case_pb2.STATUS_CLOSED, 3, 4]),
           st.one_of(st.none(), st.integers(-48, 200)), st.booleans())),
       clocks=st.lists(st.tuples(st.sampled_from(_CASE_IDS), st.sampled_from(_STEPS), st.integers(0, 400)), max_size=12),
       hours=st.sampled_from([1.0, 24.0, 72.0]))
def test_the_deadline_wave_counts_the_cases_the_deadlines_list_shows(cases, clocks, hours):
    with tempfile.TemporaryDirectory() as directory:
        data = _wave_projection(Path(directory), cases, clocks)
        listed = {row["case_id"] for row in data.deadlines(Principal("console", "federation"), NOW, hours, limit=1_000).rows}
        assert data.deadline_wave(NOW, hours) == len(listed)
        data.db.close()


def test_a_case_with_two_running_clocks_is_one_case_of_the_wave(tmp_path):
    data = _wave_projection(tmp_path, {"jjj:BJ:W1": (1, 3, None, False), "jjj:BJ:W2": (1, 3, 5, False),
                                       "jjj:BJ:W3": (1, case_pb2.STATUS_CLOSED, 5, True), "jjj:BJ:W4": (0, 3, 5, True)},
                            [("jjj:BJ:W1", _STEPS[0], 10_000), ("jjj:BJ:W1", _STEPS[1], 10_000), ("jjj:BJ:W9", _STEPS[0], 10_000)])
    # W1 (two overdue clocks, once), W2 (due in 5 hours); not the closed W3, the placeholder W4, nor W9 without a row
    assert data.deadline_wave(NOW, 24.0) == 2
    assert data.deadline_wave(NOW, 1.0) == 1


# -- the deadlines list: the soonest `limit`, and a count of all ------------

def _every_deadline(data: ConsoleData, viewer: Principal, hours: float) -> list[dict]:
    """Every row the list stands for, built the slow way (as the console did before it had a limit)."""
    horizon = (NOW + timedelta(hours=hours)).isoformat()
    rows = []
    for case_id, step, deadline in data.clocks(due_by=NOW + timedelta(hours=hours)):
        found = data.db.execute("SELECT origin, holder FROM cases WHERE attempt > 0 AND case_id=?", (case_id,)).fetchone()
        if found is not None and viewer.sees_case(set(found)):
            rows.append((round((deadline.due_at - NOW).total_seconds()), case_id, step, "running"))
    clocked = {case_id for case_id, _, _ in data.clocks(due_by=NOW + timedelta(hours=hours))}
    for case_id, origin, holder, due_at, overdue in data.db.execute(
            "SELECT case_id, origin, holder, due_at, overdue FROM cases WHERE attempt > 0 AND status != ?"
            " AND ((due_at IS NOT NULL AND due_at <= ?) OR overdue = 1)", (case_pb2.STATUS_CLOSED, horizon)):
        if case_id not in clocked and viewer.sees_case({origin, holder}):
            left = round((datetime.fromisoformat(due_at) - NOW).total_seconds()) if due_at else 0
            rows.append((left, case_id, "case", "overdue" if overdue else "due"))
    return sorted(rows)


_VIEWERS = [Principal("console", "federation"), Principal("wang", "jurisdiction", "tianjin"),
            Principal("zhao", "jurisdiction", "hebei"), Principal("qian", "jurisdiction", "beijing")]


@settings(max_examples=80, deadline=None)
@given(cases=st.dictionaries(st.sampled_from(_CASE_IDS), st.tuples(
           st.sampled_from([0, 1]), st.sampled_from([case_pb2.STATUS_CLOSED, 3]),
           st.one_of(st.none(), st.integers(-48, 200)), st.booleans(),
           st.sampled_from([(BJ, HE), (HE, TJ), (TJ, TJ)]))),
       clocks=st.lists(st.tuples(st.sampled_from(_CASE_IDS), st.sampled_from(_STEPS), st.integers(0, 400)), max_size=12),
       hours=st.sampled_from([1.0, 24.0, 72.0]), viewer=st.sampled_from(_VIEWERS), limit=st.integers(1, 6))
def test_the_deadlines_list_is_the_soonest_the_viewer_may_see_and_counts_the_rest(cases, clocks, hours, viewer, limit):
    with tempfile.TemporaryDirectory() as directory:
        data = _wave_projection(Path(directory), {case_id: facts[:4] for case_id, facts in cases.items()}, clocks,
                                parties={case_id: facts[4] for case_id, facts in cases.items()})
        every = _every_deadline(data, viewer, hours)
        found = data.deadlines(viewer, NOW, hours, limit)
        assert found.total == len(every)
        assert [row["seconds_left"] for row in found.rows] == [left for left, *_ in every[:limit]]
        shown = {(row["seconds_left"], row["case_id"], row["step"] if row["kind"] == "running" else "case", row["kind"])
                 for row in found.rows}
        assert shown <= set(every)
        data.db.close()


def test_an_overdue_case_without_a_due_time_sorts_as_due_now_not_first(tmp_path):
    data = _wave_projection(tmp_path, {"jjj:BJ:W1": (1, 3, None, True), "jjj:BJ:W2": (1, 3, -5, True),
                                       "jjj:BJ:W3": (1, 3, 2, False)}, [])
    found = data.deadlines(Principal("console", "federation"), NOW, 24.0, limit=1)
    assert (found.total, [row["case_id"] for row in found.rows]) == (3, ["jjj:BJ:W2"])  # five hours overdue, the soonest
    found = data.deadlines(Principal("console", "federation"), NOW, 24.0, limit=2)
    assert [row["case_id"] for row in found.rows] == ["jjj:BJ:W2", "jjj:BJ:W1"]
