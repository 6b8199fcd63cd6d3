"""The lifecycle graph as read from a file, and the refusals a member system gets back.

A small graph written here (not the shipped one) keeps each expectation visible: kinds
limit edges, reasons are asked per edge or per status, terminal statuses end the case.
The fold (`apply`) is tested in test_lifecycle.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.domain.lifecycle import EITHER, HOLDER, ORIGIN, Lifecycle, TransitionError
from jjj.case.v1 import case_pb2 as c

HOTLINE, PETITION = c.CASE_KIND_HOTLINE_REQUEST, c.CASE_KIND_PETITION

GRAPH = """\
reason_required_for: [STATUS_NOT_ACCEPTED]
terminal: [STATUS_CLOSED]
transitions:
  - {from: STATUS_REFERRED, to: [STATUS_RECEIVED], by: holder}
  - {from: STATUS_REFERRED, to: [STATUS_REGISTERED], by: origin, reason_required: true}
  - {from: STATUS_RECEIVED, to: [STATUS_ACCEPTED, STATUS_NOT_ACCEPTED], by: holder, kinds: [CASE_KIND_PETITION]}
  - {from: STATUS_RECEIVED, to: [STATUS_IN_PROGRESS], by: holder, kinds: [CASE_KIND_HOTLINE_REQUEST]}
  - {from: STATUS_RECEIVED, to: [STATUS_CLOSED], by: origin}
  - {from: STATUS_RECEIVED, to: [STATUS_CLOSED], by: holder, kinds: [CASE_KIND_HOTLINE_REQUEST]}
  - {from: STATUS_IN_PROGRESS, to: [STATUS_REPLIED], by: either}
"""


@pytest.fixture
def graph(tmp_path: Path) -> Lifecycle:
    path = tmp_path / "lifecycle.yaml"
    path.write_text(GRAPH, encoding="utf-8")
    return Lifecycle.load(path)


def test_every_edge_is_read_with_its_kinds_and_actor(graph):
    assert graph.allowed_next(c.STATUS_REFERRED, kind=HOTLINE) == [
        (c.STATUS_REGISTERED, ORIGIN),
        (c.STATUS_REFERRED, EITHER),
        (c.STATUS_RECEIVED, HOLDER),
    ]
    assert graph.allowed_next(c.STATUS_RECEIVED, kind=PETITION) == [
        (c.STATUS_RECEIVED, EITHER),
        (c.STATUS_ACCEPTED, HOLDER),
        (c.STATUS_NOT_ACCEPTED, HOLDER),
        (c.STATUS_CLOSED, ORIGIN),
    ]
    assert graph.allowed_next(c.STATUS_RECEIVED, kind=HOTLINE) == [
        (c.STATUS_RECEIVED, EITHER),
        (c.STATUS_IN_PROGRESS, HOLDER),
        (c.STATUS_CLOSED, HOLDER),
        (c.STATUS_CLOSED, ORIGIN),
    ]
    assert graph.reason_required_for == frozenset({c.STATUS_NOT_ACCEPTED})
    assert graph.terminal == frozenset({c.STATUS_CLOSED})


def test_without_reason_and_terminal_lists_nothing_needs_a_reason_and_nothing_ends(tmp_path: Path):
    path = tmp_path / "lifecycle.yaml"
    path.write_text("transitions:\n  - {from: STATUS_REFERRED, to: [STATUS_RECEIVED], by: holder}\n", encoding="utf-8")
    graph = Lifecycle.load(path)
    assert (graph.reason_required_for, graph.terminal) == (frozenset(), frozenset())
    graph.check(c.STATUS_REFERRED, c.STATUS_RECEIVED, kind=HOTLINE, actor_is_origin=False, reason="")


def test_an_edge_limited_to_petitions_is_closed_to_hotline_requests(graph):
    graph.check(c.STATUS_RECEIVED, c.STATUS_ACCEPTED, kind=PETITION, actor_is_origin=False, reason="")
    with pytest.raises(TransitionError) as error:
        graph.check(c.STATUS_RECEIVED, c.STATUS_ACCEPTED, kind=HOTLINE, actor_is_origin=False, reason="")
    assert str(error.value) == (
        "cannot go from STATUS_RECEIVED to STATUS_ACCEPTED for a CASE_KIND_HOTLINE_REQUEST; "
        "allowed next from STATUS_RECEIVED: STATUS_RECEIVED (by either), STATUS_IN_PROGRESS (by holder), "
        "STATUS_CLOSED (by holder), STATUS_CLOSED (by origin)"
    )


def test_a_refusal_lists_the_next_steps_for_the_cases_own_kind(graph):
    with pytest.raises(TransitionError) as error:
        graph.check(c.STATUS_RECEIVED, c.STATUS_REPLIED, kind=PETITION, actor_is_origin=False, reason="")
    assert str(error.value).endswith(
        "allowed next from STATUS_RECEIVED: STATUS_RECEIVED (by either), STATUS_ACCEPTED (by holder), "
        "STATUS_NOT_ACCEPTED (by holder), STATUS_CLOSED (by origin)"
    )


def test_a_step_reported_by_the_wrong_side_names_who_may_report_it(graph):
    with pytest.raises(TransitionError) as error:
        graph.check(c.STATUS_RECEIVED, c.STATUS_CLOSED, kind=HOTLINE, actor_is_origin=False, reason="", actor_is_holder=False)
    assert str(error.value) == (
        "STATUS_RECEIVED -> STATUS_CLOSED must be reported by the holder or origin, not by a third party; "
        "allowed next from STATUS_RECEIVED: STATUS_RECEIVED (by either), STATUS_IN_PROGRESS (by holder), "
        "STATUS_CLOSED (by holder), STATUS_CLOSED (by origin)"
    )


def test_a_terminal_status_has_no_next_step(graph):
    with pytest.raises(TransitionError) as error:
        graph.check(c.STATUS_CLOSED, c.STATUS_REPLIED, kind=PETITION, actor_is_origin=True, reason="")
    assert str(error.value) == (
        "cannot go from STATUS_CLOSED to STATUS_REPLIED for a CASE_KIND_PETITION; "
        "allowed next from STATUS_CLOSED: none (terminal)"
    )


def test_only_the_origin_or_the_holder_may_add_to_an_open_case(graph):
    graph.check(c.STATUS_IN_PROGRESS, c.STATUS_IN_PROGRESS, kind=HOTLINE, actor_is_origin=True, reason="")
    with pytest.raises(TransitionError) as error:
        graph.check(c.STATUS_IN_PROGRESS, c.STATUS_IN_PROGRESS, kind=HOTLINE, actor_is_origin=False, reason="", actor_is_holder=False)
    assert str(error.value) == "STATUS_IN_PROGRESS: only the origin or the holder may add to the case, not a third party"


def test_a_reason_is_needed_where_the_edge_or_the_status_asks_for_it(graph):
    with pytest.raises(TransitionError, match="^STATUS_REFERRED -> STATUS_REGISTERED needs a reason$"):
        graph.check(c.STATUS_REFERRED, c.STATUS_REGISTERED, kind=HOTLINE, actor_is_origin=True, reason=" ")
    graph.check(c.STATUS_REFERRED, c.STATUS_REGISTERED, kind=HOTLINE, actor_is_origin=True, reason="wrong region")
    with pytest.raises(TransitionError, match="^STATUS_RECEIVED -> STATUS_NOT_ACCEPTED needs a reason$"):
        graph.check(c.STATUS_RECEIVED, c.STATUS_NOT_ACCEPTED, kind=PETITION, actor_is_origin=False, reason="")
    graph.check(c.STATUS_RECEIVED, c.STATUS_ACCEPTED, kind=PETITION, actor_is_origin=False, reason="")


def test_an_open_status_may_repeat_itself_and_neither_a_terminal_nor_an_unset_one_may(graph):
    assert (c.STATUS_IN_PROGRESS, EITHER) in graph.allowed_next(c.STATUS_IN_PROGRESS, kind=HOTLINE)
    assert graph.allowed_next(c.STATUS_IN_PROGRESS, kind=HOTLINE) == [
        (c.STATUS_IN_PROGRESS, EITHER),
        (c.STATUS_REPLIED, EITHER),
    ]
    assert graph.allowed_next(c.STATUS_CLOSED, kind=HOTLINE) == []
    assert graph.allowed_next(c.STATUS_UNSPECIFIED, kind=HOTLINE) == []


def test_a_broken_file_names_the_file_and_the_transition(tmp_path: Path):
    path = tmp_path / "lifecycle.yaml"
    path.write_text("terminals: []\ntransitions: []\n", encoding="utf-8")
    with pytest.raises(ValueError) as error:
        Lifecycle.load(path)
    assert str(error.value).startswith(f"{path}: unknown key(s) ['terminals']")
    path.write_text(
        "transitions:\n  - {from: STATUS_REFERRED, to: [STATUS_RECEIVED], by: holder}\n"
        "  - {from: STATUS_RECEIVED, to: [STATUS_CLOSED], by: origin, reason: true}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError) as error:
        Lifecycle.load(path)
    assert str(error.value).startswith(f"{path}: transitions[1]: unknown key(s) ['reason']")
