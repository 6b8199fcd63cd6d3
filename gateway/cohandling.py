"""The federation's view of co-handled cases (协办): every co-handler's part, in order.

Fed by the projector with every share; the order of parts is
kernel.domain.cohandling's. A part out of order (or from a jurisdiction not asked
to co-handle) is logged for operators and kept aside, never folded in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from kernel import jurisdictions
from kernel.domain.cohandling import CoHandlingRules, Parts, check_part, fold_part
from kernel.errors import TransitionError
from jjj.bus.v1 import envelope_pb2

log = structlog.get_logger(__name__)


@dataclass
class CoHandlingWatch:
    rules: CoHandlingRules = field(default_factory=CoHandlingRules.load)
    co_handlers: dict[str, set[int]] = field(default_factory=dict)
    parts: dict[str, Parts] = field(default_factory=dict)
    refused: list[tuple[str, int, int, str]] = field(default_factory=list)  # case, co-handler, status, why
    _seen: set[str] = field(default_factory=set)

    def observe(self, envelope: envelope_pb2.Envelope) -> None:
        if envelope.WhichOneof("payload") != "information_share" or not envelope.sender:
            return
        share = envelope.information_share
        if share.topic == envelope_pb2.SHARE_TOPIC_CO_HANDLING_REQUEST and share.HasField("co_handled_case"):
            case = share.co_handled_case
            self.co_handlers.setdefault(case.case_id, set()).update(case.co_handlers)
        elif share.topic == envelope_pb2.SHARE_TOPIC_CO_HANDLING_PART and share.HasField("co_handling_part"):
            part = share.co_handling_part
            key = f"{part.case_id}/{part.co_handler}/{part.status}/{part.at.seconds}.{part.at.nanos}"
            if key in self._seen:
                return  # the same part sent to the origin and to the lead
            self._seen.add(key)
            self._part(part, envelope.sender)

    def _part(self, part: envelope_pb2.CoHandlingPart, sender: int) -> None:
        parts = self.parts.get(part.case_id) or Parts.start(part.lead, self.co_handlers.get(part.case_id, ()))
        try:
            if sender != part.co_handler:
                raise TransitionError("a part comes from its co-handler")
            check_part(parts, part.co_handler, part.status, self.rules)
        except TransitionError as error:
            self.refused.append((part.case_id, part.co_handler, part.status, str(error)))
            log.warning("co_handling_part_out_of_order", case_id=part.case_id,
                        co_handler=jurisdictions.display_name(part.co_handler), detail=str(error))
            return
        self.parts[part.case_id] = fold_part(parts, part.co_handler, part.status, self.rules)
