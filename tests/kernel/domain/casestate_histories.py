"""Random legal case histories for the case-state fold's tests.

A history is what the relay would send for one case: the first referral, then
lifecycle steps walked through schemas/lifecycle.yaml by the side allowed to take
them, with re-routes (a new Referral) of returned cases and take-backs. The
walk keeps its own account of status, holder, sequence and attempt, so the
expected end state does not come from the fold under test.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from kernel.domain.casestate import Referred, Step, Stepped
from kernel.domain.lifecycle import HOLDER, ORIGIN, Lifecycle
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c

BJ, TJ, HE = c.JURISDICTION_BEIJING, c.JURISDICTION_TIANJIN, c.JURISDICTION_HEBEI
MEMBERS = (BJ, TJ, HE)
CASE_ID = "jjj:BJ:BJ2026112400009001"
LIFECYCLE = Lifecycle.load()
REROUTABLE = (c.STATUS_RETURNED, c.STATUS_NOT_ACCEPTED)
# A re-route travels as a Referral, never as a StatusUpdate naming REFERRED or DISPATCHED.
SENT_AS_REFERRALS = (c.STATUS_REFERRED, c.STATUS_DISPATCHED)


@dataclass(frozen=True)
class History:
    steps: list[tuple[Step, envelope_pb2.Envelope]]
    status: int
    holder: int
    sequence: int
    attempt: int

    def __iter__(self):
        return iter(self.steps)


def expected_state(history: History) -> tuple[int, int, int, int]:
    return history.status, history.holder, history.sequence, history.attempt


def referral_envelope(*, attempt: int, sequence: int, destination: int, kind: int, flow: int) -> envelope_pb2.Envelope:
    case = c.Case(case_id=CASE_ID, native_id=CASE_ID.rsplit(":", 1)[1], origin=BJ, kind=kind, urgency=c.URGENCY_NORMAL)
    envelope = envelope_pb2.Envelope(envelope_id=f"{CASE_ID}/referral/{attempt}", flow=flow, sender=BJ,
                                     destination=destination)
    body = envelope_pb2.Referral(case=case, attempt=attempt, sequence=sequence) if flow == envelope_pb2.FLOW_REFERRAL \
        else envelope_pb2.HotlineTransfer(case=case, attempt=attempt, sequence=sequence)
    getattr(envelope, "referral" if flow == envelope_pb2.FLOW_REFERRAL else "hotline_transfer").CopyFrom(body)
    envelope.sent_at.FromSeconds(1_764_000_000 + sequence * 60)
    return envelope


# Typed events an event-only step (the status repeated) may carry.
EVENT_ONLY_TYPES = (c.EVENT_TYPE_NOTE, c.EVENT_TYPE_URGING, c.EVENT_TYPE_SUPERVISION, c.EVENT_TYPE_REPLY_DELIVERED,
                    c.EVENT_TYPE_HEARING_STARTED, c.EVENT_TYPE_HEARING_ENDED)


def status_envelope(*, sequence: int, status: int, reporter: int, counterpart: int, event_type: int = 0,
                    closing: int = 0, coordinated: bool = False) -> envelope_pb2.Envelope:
    """A step with what the lifecycle asks of it: a coded return, a coordination decision, a closing path."""
    update = envelope_pb2.StatusUpdate(case_id=CASE_ID, sequence=sequence, status=status, reporter=reporter,
                                       reason=f"理由{sequence}", closing=closing,
                                       event=c.Event(action=c.Status.Name(status), actor=f"actor{sequence}",
                                                     type=event_type))
    if status == c.STATUS_RETURNED:
        update.return_reason = c.RETURN_REASON_WRONG_PLACE
    if coordinated:
        update.coordination.CopyFrom(c.CoordinationDecision(body="京津冀联席会议",
                                                            return_upheld=status == c.STATUS_RETURNED))
    if closing == c.CLOSING_MERGED:
        update.merged_into = "jjj:HE:HB2026110100001"
    update.event.at.FromSeconds(1_764_000_000 + sequence * 60)
    envelope = envelope_pb2.Envelope(envelope_id=f"{CASE_ID}/status/{sequence}", flow=envelope_pb2.FLOW_STATUS_UPDATE,
                                     sender=reporter, destination=counterpart, status_update=update)
    envelope.sent_at.CopyFrom(update.event.at)
    return envelope


@st.composite
def histories(draw, max_steps: int = 14) -> History:
    kind = draw(st.sampled_from([c.CASE_KIND_HOTLINE_REQUEST, c.CASE_KIND_PETITION]))
    flow = envelope_pb2.FLOW_HOTLINE_TRANSFER if kind == c.CASE_KIND_HOTLINE_REQUEST else envelope_pb2.FLOW_REFERRAL
    holder = draw(st.sampled_from([TJ, HE]))
    status, sequence, attempt = c.STATUS_REFERRED, 0, 1
    envelope = referral_envelope(attempt=1, sequence=0, destination=holder, kind=kind, flow=flow)
    steps: list[tuple[Step, envelope_pb2.Envelope]] = [(Referred(CASE_ID, BJ, holder, flow, 1, 0, kind, c.URGENCY_NORMAL),
                                                        envelope)]
    for _ in range(draw(st.integers(0, max_steps))):
        others = [m for m in MEMBERS if m not in (BJ, holder)]
        if status in REROUTABLE and others and attempt < LIFECYCLE.max_attempts and draw(st.booleans()):
            holder, attempt, sequence, status = draw(st.sampled_from(others)), attempt + 1, sequence + 1, c.STATUS_REFERRED
            envelope = referral_envelope(attempt=attempt, sequence=sequence, destination=holder, kind=kind, flow=flow)
            steps.append((Referred(CASE_ID, BJ, holder, flow, attempt, sequence, kind, c.URGENCY_NORMAL), envelope))
            continue
        options = [(target, by, 0) for target, by in LIFECYCLE.allowed_next(status, kind=kind)
                   if target not in SENT_AS_REFERRALS]
        options += [(c.STATUS_CLOSED, path.by, code) for code, path in sorted(LIFECYCLE.closings.items())
                    if status in path.sources]
        if not options or holder == BJ:
            break  # closed, or taken back: the origin handles it alone, nothing crosses a border
        target, by, closing = draw(st.sampled_from(options))
        reporter = {ORIGIN: BJ, HOLDER: holder}.get(by) or draw(st.sampled_from(sorted({BJ, holder})))
        counterpart = holder if reporter == BJ else BJ
        event_type = draw(st.sampled_from(EVENT_ONLY_TYPES)) if target == status else 0
        coordinated = status == c.STATUS_RETURN_DISPUTED
        sequence, status = sequence + 1, target
        if target == c.STATUS_REGISTERED:
            holder = BJ
        envelope = status_envelope(sequence=sequence, status=target, reporter=reporter, counterpart=counterpart,
                                   event_type=event_type, closing=closing, coordinated=coordinated)
        steps.append((Stepped(CASE_ID, BJ, sequence, target, reporter), envelope))
    return History(steps, status, holder, sequence, attempt)
