"""An adapter's side of co-handling (协办): the origin's request and a co-handler's part, as shares.

The origin asks: the whole case goes, RESTRICTED, to the co-handlers it names and
to the lead (which holds it already: it learns whom it waits for), and its own
record remembers them. A co-handler reports its part: the share goes to the case's
origin and lead, with the reporter as co-handler. The order of parts is
kernel.domain.cohandling's, checked here before the part is sent (the sender was
asked to co-handle the case, the part is its next) and again by the gateway, which
sees every part. What this adapter knows is its CoHandlingLog (cohandling_log.py).
"""

from __future__ import annotations

from kernel import jurisdictions
from kernel.domain.cohandling import check_lead_reply as kernel_check_lead_reply
from kernel.domain.cohandling import check_part
from kernel.errors import CaseNotFound, CoHandlersPending, InvalidRequest, StepRefused, TransitionError
from kernel.jurisdictions import Member
from adapters.service import records
from adapters.service.cohandling_log import CoHandlingLog
from adapters.service.store import CaseStore
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

REQUEST, PART = envelope_pb2.SHARE_TOPIC_CO_HANDLING_REQUEST, envelope_pb2.SHARE_TOPIC_CO_HANDLING_PART


async def prepare(share: envelope_pb2.InformationShare, request: adapter_pb2.ShareInformationRequest,
                  audience: list[Member], cases: CaseStore, member: Member, log: CoHandlingLog | None = None) -> list[Member]:
    """Fill a co-handling share from the request; returns its audience (unchanged for other topics)."""
    if share.topic == REQUEST:
        return await _request(share, request, audience, cases, member)
    if share.topic == PART:
        return _part(share, request, member, log)
    return audience


def sent(share: envelope_pb2.InformationShare, log: CoHandlingLog | None) -> None:
    """A part on the bus: the next one is checked against it."""
    if log is not None and share.topic == PART and share.HasField("co_handling_part"):
        part = share.co_handling_part
        log.reported(part.case_id, part.co_handler, part.status)


async def _request(share, request, audience, cases: CaseStore, member: Member) -> list[Member]:
    record = await cases.get(request.co_handled_case_id)
    if not records.is_known(record) or record.case.origin != member.enum:
        raise CaseNotFound(f"{member.name} registered no cross-region case {request.co_handled_case_id!r}",
                           metadata={"caseId": request.co_handled_case_id})
    helpers = [m for m in audience if m.enum != record.holder]
    if not helpers:
        raise InvalidRequest("name the co-handlers besides the lead holder", violations=[("audience", "only the lead")])
    share.co_handled_case.CopyFrom(record.case)
    share.co_handled_case.co_handlers[:] = sorted(m.enum for m in helpers)
    share.classification = envelope_pb2.CLASSIFICATION_RESTRICTED

    def remember(current):
        updated = adapter_pb2.GetCaseResponse()
        updated.CopyFrom(current)
        updated.case.co_handlers[:] = sorted({*current.case.co_handlers, *(m.enum for m in helpers)})
        return updated

    await cases.mutate(record.case.case_id, remember)
    return sorted({*helpers, jurisdictions.by_enum(record.holder)}, key=lambda m: m.enum)


def _part(share, request, member: Member, log: CoHandlingLog | None) -> list[Member]:
    part = request.co_handling_part
    if not part.case_id or not part.lead:
        raise InvalidRequest("a part names its case and lead", violations=[("co_handling_part", "case_id and lead")])
    if part.lead == member.enum:
        raise StepRefused("the lead reports lifecycle steps (ReportStatus), not a co-handler's part")
    if log is not None:
        if member.enum not in log.co_handlers(part.case_id):
            raise StepRefused(f"{member.name} was not asked to co-handle {part.case_id} (no co-handling request from"
                              " its origin reached it)", metadata={"caseId": part.case_id})
        try:
            check_part(log.parts(part.case_id, part.lead), member.enum, part.status, log.rules)
        except TransitionError as error:
            raise StepRefused(str(error), violations=[("co_handling_part.status", str(error))],
                              metadata={"caseId": part.case_id}) from None
    origin = jurisdictions.origin_of_case_id(part.case_id)
    share.co_handling_part.CopyFrom(part)
    share.co_handling_part.co_handler = member.enum
    share.co_handling_part.at.GetCurrentTime()
    return sorted({origin, jurisdictions.by_enum(part.lead)} - {member}, key=lambda m: m.enum)


def check_lead_reply(log: CoHandlingLog, case_id: str, lead: Member) -> None:
    """The lead's reply waits for every co-handler's part replied (as far as the parts reached this adapter)."""
    parts = log.parts(case_id, lead.enum)
    try:
        kernel_check_lead_reply(parts, lead.enum, log.rules)
    except TransitionError:
        waiting = parts.waiting_for(log.rules)
        names = ", ".join(jurisdictions.display_name(j) for j in waiting)
        raise CoHandlersPending(
            f"{case_id} is co-handled: the lead replies once every co-handler's part is replied; waiting for {names}"
            " (their parts come to the inbox as co-handling shares)",
            violations=[("status", f"waiting for {names}")],
            metadata={"caseId": case_id, "waitingFor": ",".join(case_pb2.Jurisdiction.Name(j) for j in waiting)},
        ) from None
