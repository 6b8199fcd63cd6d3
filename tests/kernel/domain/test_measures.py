"""Every measure of schemas/measures.yaml on a fixed set of cases, with the expected values worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.domain.deadlines import DeadlinePolicy
from kernel.domain.measures import BY_JURISDICTION, BY_PAIR, DAY, MONTH, WEEK, CaseFacts, Measures, period_of
from jjj.case.v1 import case_pb2 as c

BEIJING = dt.timezone(dt.timedelta(hours=8))
POLICY = DeadlinePolicy.load()
MEASURES = Measures.load()
BJ, TJ, HE = c.JURISDICTION_BEIJING, c.JURISDICTION_TIANJIN, c.JURISDICTION_HEBEI
HOTLINE, PETITION = c.CASE_KIND_HOTLINE_REQUEST, c.CASE_KIND_PETITION
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=BEIJING)
S = c
HANDLED = frozenset({S.STATUS_REFERRED, S.STATUS_RECEIVED, S.STATUS_IN_PROGRESS, S.STATUS_REPLIED, S.STATUS_EVALUATED,
                     S.STATUS_CLOSED})


def bj(month, day, hour=9, minute=0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BEIJING)


def case(name, *, day="2026-11-02", referred=None, holder=HE, kind=HOTLINE, **facts) -> CaseFacts:
    return CaseFacts(case_id=f"jjj:BJ:{name}", origin=BJ, holder=holder, kind=kind, day=day,
                     referred_at=referred or bj(11, int(day[-2:])), **facts)


# Referred Mon 2 Nov (A-E) and Tue 3 Nov (F-H) to Hebei, ISO week 45; I to Tianjin on 10 Nov, week 46.
CASES = [
    # signed after 2 h (limit 24 h), satisfied, evaluated the next day: the good case
    case("A", signed_at=bj(11, 2, 11), contacted=True, resolved=True, satisfaction=S.SATISFACTION_SATISFIED,
         replied_at=bj(11, 4, 10), evaluated_at=bj(11, 5), replies=1, statuses=HANDLED, status=S.STATUS_CLOSED,
         urgings=2),
    # signed after 30 h (late), re-handled once, evaluated on 12 Nov (follow-up due 10 Nov 23:59:59: late)
    case("B", signed_at=bj(11, 3, 15), contacted=True, resolved=False, satisfaction=S.SATISFACTION_BASICALLY_SATISFIED,
         replied_at=bj(11, 5), evaluated_at=bj(11, 12), replies=2, statuses=HANDLED, status=S.STATUS_CLOSED,
         overdue_steps=frozenset({"hotline_sign_ordinary"})),
    # signed in time, returned
    case("C", signed_at=bj(11, 2, 10), returned=True, status=S.STATUS_RETURNED,
         statuses=frozenset({S.STATUS_REFERRED, S.STATUS_RECEIVED, S.STATUS_RETURNED})),
    # urgent: signed in 30 min (limit 1 h), replied within 2 h, a repeat, never followed up (due 7 Nov: past)
    case("D", urgency=S.URGENCY_URGENT, signed_at=bj(11, 2, 9, 30), replied_at=bj(11, 2, 10, 30), replies=1,
         repeat=True, status=S.STATUS_REPLIED,
         statuses=frozenset({S.STATUS_REFERRED, S.STATUS_RECEIVED, S.STATUS_IN_PROGRESS, S.STATUS_REPLIED})),
    # never signed, overdue
    case("E", status=S.STATUS_REFERRED, statuses=frozenset({S.STATUS_REFERRED}),
         overdue_steps=frozenset({"hotline_sign_ordinary"}), urgings=1, supervisions=1),
    # a first petition, handled and closed, unsatisfied
    case("F", day="2026-11-03", kind=PETITION, first_time=True, signed_at=bj(11, 4), contacted=True, resolved=True,
         satisfaction=S.SATISFACTION_UNSATISFIED, replied_at=bj(11, 6), evaluated_at=bj(11, 8), replies=1,
         status=S.STATUS_CLOSED, statuses=HANDLED | {S.STATUS_ACCEPTED}),
    # a first petition under review, never followed up (replied 10 Nov, due 15 Nov: past)
    case("G", day="2026-11-03", kind=PETITION, first_time=True, signed_at=bj(11, 4), replied_at=bj(11, 10), replies=1,
         status=S.STATUS_REVIEW_REQUESTED,
         statuses=frozenset({S.STATUS_REFERRED, S.STATUS_RECEIVED, S.STATUS_ACCEPTED, S.STATUS_IN_PROGRESS,
                             S.STATUS_REPLIED, S.STATUS_REVIEW_REQUESTED})),
    # followed up but the citizen could not be reached
    case("H", day="2026-11-03", signed_at=bj(11, 3, 10), contacted=False, replied_at=bj(11, 4), evaluated_at=bj(11, 5),
         replies=1, status=S.STATUS_CLOSED, statuses=HANDLED),
    case("I", day="2026-11-10", holder=TJ, signed_at=bj(11, 10, 10), returned=True, status=S.STATUS_RETURNED,
         statuses=frozenset({S.STATUS_REFERRED, S.STATUS_RECEIVED, S.STATUS_RETURNED})),
]


def values(row) -> dict[str, tuple]:
    return {(v.measure + (f"/{v.step}" if v.step else "")): (v.numerator, v.denominator, v.value) for v in row.values}


def test_every_measure_per_pair_and_week_by_hand():
    rows = MEASURES.compute(CASES, POLICY, now=NOW, period=WEEK, group=BY_PAIR)
    assert [(r.period, r.origin, r.holder) for r in rows] == [("2026-W45", BJ, HE), ("2026-W46", BJ, TJ)]
    got = values(rows[0])
    expected = {
        # followed up: A, B, F, H (H: contacted = False is a result); contacted in time: A, F (B signed late)
        "response_rate": (2, 4, 0.5),
        "resolution_rate": (2, 4, 0.5),  # A, F
        "satisfaction_rate": (2.0, 3, 0.6667),  # rated A 1 + B 1 (基本满意 weighs 1) + F 0
        "return_rate": (1, 8, 0.125),  # C
        "repeat_rate": (1, 8, 0.125),  # D
        "not_evaluated_in_time": (3, None, 3),  # B late, D and G never and past due
        "not_followed_up": (2, None, 2),  # D, G: replied, no result
        "one_time_resolution_rate": (2, 4, 0.5),  # A, F resolved and replied once
        "first_contact_rate": (1, 2, 0.5),  # first petitions F (closed), G (under review)
        "in_flight": (4, None, 4),  # C, D, E, G
        "waiting_to_sign": (1, None, 1),  # E
        "overdue": (1, None, 1),  # E (B is closed)
        "urgings": (3, None, 3),  # A twice, E once
        "supervisions": (1, None, 1),  # E
        "urged_rate": (2, 8, 0.25),  # A, E
        # signing of ordinary hotline transfers: ran for A B C E H; settled all five (E by its overdue notice);
        # on time A C H
        "on_time_rate/hotline_sign_ordinary": (3, 5, 0.6),
        "on_time_rate/hotline_sign_urgent": (1, 1, 1.0),  # D
        "on_time_rate/hotline_urgent": (1, 1, 1.0),  # D replied within 2 h
    }
    for name, value in expected.items():
        assert got[name] == value, name
    assert got["on_time_rate/petition_accept_decision"] == (2, 2, 1.0)  # F, G accepted without an overdue notice
    assert values(rows[1])["return_rate"] == (1, 1, 1.0)


def test_per_jurisdiction_per_day_and_per_month():
    by_day = MEASURES.compute(CASES, POLICY, now=NOW, period=DAY, group=BY_JURISDICTION, names=["return_rate"])
    assert [(r.period, r.jurisdiction, values(r)["return_rate"]) for r in by_day] == [
        ("2026-11-02", HE, (1, 5, 0.2)), ("2026-11-03", HE, (0, 3, 0.0)), ("2026-11-10", TJ, (1, 1, 1.0))]
    by_month = MEASURES.compute(CASES, POLICY, now=NOW, period=MONTH, group=BY_JURISDICTION, names=["in_flight"])
    assert [(r.period, r.jurisdiction, values(r)["in_flight"]) for r in by_month] == [
        ("2026-11", TJ, (1, None, 1)), ("2026-11", HE, (4, None, 4))]


def test_the_weight_of_basically_satisfied_is_configurable(tmp_path):
    import yaml

    from kernel.tables import SCHEMAS_DIR

    data = yaml.safe_load((SCHEMAS_DIR / "measures.yaml").read_text(encoding="utf-8"))
    data["satisfaction_weights"]["SATISFACTION_BASICALLY_SATISFIED"] = 0.8
    path = tmp_path / "measures.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (row, _) = Measures.load(path).compute(CASES, POLICY, now=NOW, period=WEEK, names=["satisfaction_rate"])
    assert values(row)["satisfaction_rate"] == (1.8, 3, 0.6)


def test_a_rate_over_no_cases_is_zero_with_its_zero_denominator_shown():
    (row,) = MEASURES.compute([CASES[4]], POLICY, now=NOW, names=["response_rate"])
    assert values(row)["response_rate"] == (0, 0, 0.0)


def test_the_reports_choose_their_period_and_measures():
    assert {name: report.period for name, report in MEASURES.reports.items()} == {
        "daily": DAY, "weekly": WEEK, "monthly": MONTH}
    (daily, *_) = MEASURES.report("daily", CASES, POLICY, now=NOW, period_key="2026-11-02")
    assert daily.period == "2026-11-02"
    assert [v.measure for v in daily.values] == ["in_flight", "waiting_to_sign", "overdue", "return_rate", "response_rate"]
    assert values(daily)["in_flight"] == (3, None, 3)  # C, D, E


def test_an_unknown_fact_in_the_data_fails_to_load(tmp_path):
    from kernel.errors import ConfigurationError
    from kernel.tables import SCHEMAS_DIR

    text = (SCHEMAS_DIR / "measures.yaml").read_text(encoding="utf-8").replace("numerator: resolved\n",
                                                                               "numerator: solved\n")
    path = tmp_path / "measures.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="solved"):
        Measures.load(path)


def test_period_keys():
    assert period_of("2026-12-31", WEEK) == "2026-W53" and period_of("2027-01-01", WEEK) == "2026-W53"
    assert period_of("2026-11-02", MONTH) == "2026-11"

STATUSES = st.sampled_from([S.STATUS_REFERRED, S.STATUS_RECEIVED, S.STATUS_RETURNED, S.STATUS_IN_PROGRESS,
                            S.STATUS_REPLIED, S.STATUS_EVALUATED, S.STATUS_CLOSED, S.STATUS_REVIEW_REQUESTED])
OPTIONAL = st.none() | st.booleans()


@st.composite
def random_case(draw, number: int) -> CaseFacts:
    day = draw(st.integers(1, 28))
    referred = bj(11, day)
    replied = draw(st.none() | st.just(referred + dt.timedelta(days=draw(st.integers(0, 10)))))
    return CaseFacts(
        case_id=f"jjj:BJ:{number}", origin=BJ, holder=draw(st.sampled_from([TJ, HE])),
        kind=draw(st.sampled_from([HOTLINE, PETITION])), day=f"2026-11-{day:02d}", referred_at=referred,
        urgency=draw(st.sampled_from([S.URGENCY_NORMAL, S.URGENCY_URGENT])), status=draw(STATUSES),
        signed_at=draw(st.none() | st.just(referred + dt.timedelta(hours=draw(st.integers(0, 72))))),
        returned=draw(st.booleans()), contacted=draw(OPTIONAL), resolved=draw(OPTIONAL),
        satisfaction=draw(st.sampled_from([0, 1, 2, 3])), replied_at=replied,
        evaluated_at=None if replied is None else draw(st.none() | st.just(replied + dt.timedelta(days=3))),
        replies=draw(st.integers(0, 3)), statuses=frozenset(draw(st.lists(STATUSES, max_size=5))),
        first_time=draw(st.booleans()), repeat=draw(st.booleans()))


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=st.integers(0, 12))
def test_every_rate_is_a_share_of_its_denominator_and_grouping_loses_no_case(data, size):
    cases = [data.draw(random_case(n)) for n in range(size)]
    by_pair = MEASURES.compute(cases, POLICY, now=NOW, period=MONTH, group=BY_PAIR)
    for row in by_pair:
        for value in row.values:
            if value.denominator is not None:
                assert 0 <= value.numerator <= value.denominator and 0.0 <= value.value <= 1.0, value
    by_holder = MEASURES.compute(cases, POLICY, now=NOW, period=DAY, group=BY_JURISDICTION, names=["return_rate"])
    assert sum(row.values[0].denominator for row in by_holder) == len(cases)
