"""The console's reading of the projection file: repeat links, who a case touches, pair figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.console.data import ConsoleData, percentile
from gateway.console.roles import Principal
from gateway.projection.store import SqliteProjection
from kernel import jurisdictions

BJ, TJ, HE = (jurisdictions.by_name(name).enum for name in ("beijing", "tianjin", "hebei"))
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _projection(tmp_path):
    store = SqliteProjection(tmp_path / "projection.sqlite3")
    recent = (NOW - timedelta(minutes=1)).isoformat()
    rows = [("jjj:BJ:B1/referral/1", "jjj:BJ:B1", recent, 1, BJ, HE, 3), ("jjj:BJ:B1/status/1", "jjj:BJ:B1", recent, 3, HE, BJ, 4),
            ("jjj:HE:H9/repeat/jjj:BJ:B1/bj", "", recent, 4, HE, BJ, 0)]
    for envelope_id, case_id, at, flow, sender, destination, status in rows:
        store.db.execute("INSERT INTO trail VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         (envelope_id, case_id, at, flow, sender, destination, status, "", "", 1, at, 12.5, "2026-12-01", 0))
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
