"""What the federation said when it said no, decoded for the engineer at the other end.

The adapters and the gateway answer every error as a google.rpc.Status with details
(kernel/rpc/status.py): ErrorInfo (reason, metadata), BadRequest (field violations),
RetryInfo. `Refused` carries them decoded; `Unreachable` is a call that found nobody
(no rich status: the process is not there, or TLS failed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from kernel.errors import JjjError
from harness.state import FederationNotRunning


@dataclass(frozen=True)
class Violation:
    field: str
    description: str


@dataclass(frozen=True)
class Refusal:
    code: str  # grpc.StatusCode name, e.g. INVALID_ARGUMENT
    message: str
    reason: str = ""  # ErrorInfo.reason, e.g. DOCUMENT_REJECTED
    metadata: dict[str, str] = field(default_factory=dict)
    violations: tuple[Violation, ...] = ()
    retry_after_seconds: float | None = None

    def to_dict(self) -> dict:
        return {"code": self.code, "reason": self.reason, "message": self.message, "metadata": dict(self.metadata),
                "violations": [{"field": v.field, "description": v.description} for v in self.violations],
                "retry_after_seconds": self.retry_after_seconds}

    def lines(self) -> list[str]:
        """For a terminal: what was wrong, in which field, what to do."""
        head = f"{self.code}" + (f" ({self.reason})" if self.reason else "") + f": {self.message}"
        lines = [head]
        lines += [f"  field {v.field}: {v.description}" for v in self.violations]
        lines += [f"  {key}: {value}" for key, value in sorted(self.metadata.items())]
        advice = ADVICE.get(self.reason)
        if self.retry_after_seconds is not None:
            lines.append(f"  retry after {self.retry_after_seconds:g}s")
        if advice:
            lines.append(f"  what to do: {advice}")
        return lines


# What an engineer does about a reason (ErrorInfo.reason of kernel/rpc/status.py ANSWERS and the gate).
ADVICE = {
    "DOCUMENT_REJECTED": "fix the named field(s) in the document and submit it again",
    "MAPPING_FAILED": "fix the named field(s) in the document and submit it again",
    "UNSUPPORTED_DOCUMENT_FORMAT": "submit the document in your jurisdiction's own format (or common JSON Lines)",
    "INVALID_REQUEST": "correct the named field of the request",
    "UNKNOWN_JURISDICTION": "name a member jurisdiction: beijing, tianjin or hebei",
    "REQUEST_ID_REUSED": "use a new request id for a different request",
    "LIMIT_EXCEEDED": "split the document into smaller ones",
    "ADAPTER_BUSY": "retry after the RetryInfo delay; keep fewer calls in flight, with more work orders in each",
    "CASE_NOT_FOUND": "check the case id (jjj:<BJ|TJ|HE>:<native id>); a case is known once its referral arrived",
    "TRANSITION_REFUSED": "take a step allowed from the case's current status (schemas/lifecycle.yaml)",
    "SEQUENCE_TAKEN": "read the case again (jjj inbox / GetCase): the other side stepped first",
    "UPDATE_CONTENTION": "retry the same request",
    "BUS_UNAVAILABLE": "the bus is away; retry shortly (jjj status shows which process is not serving)",
    "MEMBER_SYSTEM_NOT_REGISTERED": "register the client certificate for this jurisdiction (jjj certs register)",
    "MEMBER_SYSTEM_REVOKED": "this member system was revoked; ask the operator for a new registration",
    "INTERNAL_ERROR": "report it to the operator with the correlationId",
}


class Refused(JjjError):
    """The federation answered, and the answer was no."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class Unreachable(FederationNotRunning):
    """A call that reached nobody: the process does not listen there, or the TLS handshake failed."""


def _code_name(value: int) -> str:
    return code_pb2.Code.Name(value) if value in code_pb2.Code.values() else str(value)


def refusal_of_status(status: status_pb2.Status) -> Refusal:
    reason, metadata, violations, delay = "", {}, [], None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, metadata = info.reason, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations += [Violation(v.field, v.description) for v in bad.field_violations]
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            delay = retry.retry_delay.ToNanoseconds() / 1e9
    return Refusal(_code_name(status.code), status.message, reason, metadata, tuple(violations), delay)


def translated(error: grpc.RpcError, address: str) -> JjjError:
    """A failed call as Refused (with its details) or Unreachable."""
    status = rpc_status.from_call(error) if isinstance(error, grpc.aio.AioRpcError | grpc.Call) else None
    if status is not None:
        return Refused(refusal_of_status(status))
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return Unreachable(f"nobody answers at {address} ({code.name}: {error.details()}); is `jjj up` running?")
    return Refused(Refusal(code.name, error.details() or ""))
