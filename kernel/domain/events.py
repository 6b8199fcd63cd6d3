"""Typed events on a case (case_pb2.EventType): who may add which, and what an extension may ask. Pure.

An event travels in a StatusUpdate; most are event-only steps (the status stays
what it is): urging (催办), supervision (督办), a progress note, an extension
(延期), a hearing (听证), the day the citizen received the reply. The rules for
deadlines are schemas/deadlines.yaml's; this module applies them before a
member's step goes on the bus, so the other side and the gateway see only
allowed extensions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from kernel.domain.deadlines import DeadlinePolicy
from kernel.errors import DeadlineError, TransitionError
from jjj.case.v1 import case_pb2

EXTENSION = case_pb2.EVENT_TYPE_EXTENSION
# Events that leave the status as it is: a report carrying one repeats the current status.
EVENT_ONLY = frozenset({
    case_pb2.EVENT_TYPE_NOTE, case_pb2.EVENT_TYPE_URGING, case_pb2.EVENT_TYPE_SUPERVISION, EXTENSION,
    case_pb2.EVENT_TYPE_REPLY_DELIVERED, case_pb2.EVENT_TYPE_HEARING_STARTED, case_pb2.EVENT_TYPE_HEARING_ENDED,
})  # fmt: skip


def earlier_extensions(history: Iterable[case_pb2.Event], step: str) -> int:
    """How often `step` was extended already, as the case's trail says."""
    return sum(1 for event in history if event.type == EXTENSION and event.extension.step == step)


def check_event(
    event_type: int,
    *,
    current: int,
    new: int,
    kind: int,
    is_holder: bool,
    reason: str,
    extension: case_pb2.DeadlineExtension | None,
    history: Iterable[case_pb2.Event],
    policy: DeadlinePolicy | None = None,
) -> None:
    """Raise TransitionError or DeadlineError unless this typed event may be reported.

    An event-only type needs the status unchanged. An extension is the holder's: it
    names a step of this kind of case whose clock the current status does not stop,
    gives a reason (the origin tells the citizen), and stays within the step's
    extension policy counting the earlier ones of the trail.
    """
    if event_type == case_pb2.EVENT_TYPE_UNSPECIFIED:
        return
    if event_type in EVENT_ONLY and new != current:
        raise TransitionError(f"a {case_pb2.EventType.Name(event_type)} leaves the status as it is:"
                              f" report {case_pb2.Status.Name(current)}, not {case_pb2.Status.Name(new)}")
    if event_type != EXTENSION:
        return
    if not is_holder:
        raise TransitionError("only the holder of a case asks for an extension (延期)")
    if not reason.strip():
        raise TransitionError("an extension needs a reason: the origin tells the citizen why")
    if extension is None or not extension.step:
        raise DeadlineError("an extension names the step it extends")
    policy = policy or DeadlinePolicy.load()
    spec = policy.step(extension.step)
    if spec.kinds is not None and kind not in spec.kinds:
        raise DeadlineError(f"{spec.name} is not a limit of a {case_pb2.CaseKind.Name(kind)}")
    if current in spec.stops_on:
        raise DeadlineError(f"{spec.name} is not running in {case_pb2.Status.Name(current)}")
    policy.check_extension(spec.name, extension.amount, earlier=earlier_extensions(history, spec.name))


# A step into one of these statuses must come within the window (a deadlines.yaml
# step) that the status before it started.
WINDOWS = {case_pb2.STATUS_RETURN_DISPUTED: "return_dispute_window"}


def check_timing(current: int, new: int, *, history: Iterable[case_pb2.Event], at: dt.datetime,
                 holder: str | None = None, policy: DeadlinePolicy | None = None) -> None:
    """Raise DeadlineError when a step whose window has closed comes too late (a dispute
    of a return after return_dispute_window: the return stands)."""
    window = WINDOWS.get(new)
    if window is None:
        return
    policy = policy or DeadlinePolicy.load()
    entered = _entered(history, current)
    if entered is None:
        return  # the trail does not say when: nothing to hold against the step
    due = policy.deadline(window, entered, holder).due_at
    if at > due:
        raise DeadlineError(f"{window} closed at {due.isoformat()}: too late for {case_pb2.Status.Name(new)}")


def _entered(history: Iterable[case_pb2.Event], status: int) -> dt.datetime | None:
    """When the case last entered `status`, as its trail says."""
    name = case_pb2.Status.Name(status)
    moments = [event.at.ToDatetime(tzinfo=dt.timezone.utc) for event in history
               if event.action == name and event.HasField("at")]
    return moments[-1] if moments else None
