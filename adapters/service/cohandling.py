"""An adapter's side of co-handling (协办): the origin's request and a co-handler's part, as shares.

The origin asks: the whole case goes, RESTRICTED, to the co-handlers it names
(never the lead, which holds it already) and its own record remembers them. A
co-handler reports its part: the share goes to the case's origin and lead, with
the reporter as co-handler. The order of parts is kernel.domain.cohandling's,
checked by the gateway, which sees every part.
"""

from __future__ import annotations

from kernel import jurisdictions
from kernel.errors import CaseNotFound, InvalidRequest, StepRefused
from kernel.jurisdictions import Member
from adapters.service import records
from adapters.service.store import CaseStore
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2

REQUEST, PART = envelope_pb2.SHARE_TOPIC_CO_HANDLING_REQUEST, envelope_pb2.SHARE_TOPIC_CO_HANDLING_PART


async def prepare(share: envelope_pb2.InformationShare, request: adapter_pb2.ShareInformationRequest,
                  audience: list[Member], cases: CaseStore, member: Member) -> list[Member]:
    """Fill a co-handling share from the request; returns its audience (unchanged for other topics)."""
    if share.topic == REQUEST:
        return await _request(share, request, audience, cases, member)
    if share.topic == PART:
        return _part(share, request, member)
    return audience


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
    return helpers


def _part(share, request, member: Member) -> list[Member]:
    part = request.co_handling_part
    if not part.case_id or not part.lead:
        raise InvalidRequest("a part names its case and lead", violations=[("co_handling_part", "case_id and lead")])
    if part.lead == member.enum:
        raise StepRefused("the lead reports lifecycle steps (ReportStatus), not a co-handler's part")
    origin = jurisdictions.origin_of_case_id(part.case_id)
    share.co_handling_part.CopyFrom(part)
    share.co_handling_part.co_handler = member.enum
    share.co_handling_part.at.GetCurrentTime()
    return sorted({origin, jurisdictions.by_enum(part.lead)} - {member}, key=lambda m: m.enum)
