"""gRPC errors as google.rpc.Status with details (AIP-193), and the one table that chooses them.

Every servicer answers an exception through ANSWERS (via kernel/rpc/translate.py): the
nearest class in the exception's MRO decides the status code, the ErrorInfo reason and
whether (and when) to retry. An exception nobody named answers INTERNAL with a
correlation id that is also in the log next to its traceback, never UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from kernel import errors

DOMAIN = "jjj-exchange"
BUS_RETRY_SECONDS = 2.0
CONTENTION_RETRY_SECONDS = 0.5
# A busy adapter works off its waiting submissions at hundreds a second: a second is room for more.
BUSY_RETRY_SECONDS = 1.0
Code = grpc.StatusCode


@dataclass(frozen=True, slots=True)
class Answer:
    code: grpc.StatusCode
    reason: str
    # Seconds after which the same request may succeed (sent as RetryInfo); None: do not retry it as is.
    retry_after: float | None = None
    # Ours to fix, not the caller's: logged with its traceback under a correlation id the caller is given.
    internal: bool = False


ANSWERS: Mapping[type[BaseException], Answer] = {
    errors.InvalidRequest: Answer(Code.INVALID_ARGUMENT, "INVALID_REQUEST"),
    errors.UnsupportedDocumentFormat: Answer(Code.INVALID_ARGUMENT, "UNSUPPORTED_DOCUMENT_FORMAT"),
    errors.DocumentRejected: Answer(Code.INVALID_ARGUMENT, "DOCUMENT_REJECTED"),
    errors.MappingError: Answer(Code.INVALID_ARGUMENT, "MAPPING_FAILED"),
    errors.UnknownJurisdiction: Answer(Code.INVALID_ARGUMENT, "UNKNOWN_JURISDICTION"),
    errors.RequestIdReused: Answer(Code.ALREADY_EXISTS, "REQUEST_ID_REUSED"),
    errors.LimitExceeded: Answer(Code.RESOURCE_EXHAUSTED, "LIMIT_EXCEEDED"),
    errors.AdapterBusy: Answer(Code.RESOURCE_EXHAUSTED, "ADAPTER_BUSY", retry_after=BUSY_RETRY_SECONDS),
    errors.CaseNotFound: Answer(Code.NOT_FOUND, "CASE_NOT_FOUND"),
    errors.InboxItemUnknown: Answer(Code.NOT_FOUND, "INBOX_ITEM_UNKNOWN"),
    errors.StepRefused: Answer(Code.FAILED_PRECONDITION, "TRANSITION_REFUSED"),
    # The co-handlers named in the metadata (waitingFor) report first; their parts reach the lead's adapter.
    errors.CoHandlersPending: Answer(Code.FAILED_PRECONDITION, "CO_HANDLERS_PENDING"),
    # Not retried as is: the step may no longer apply once the other side's step is read.
    errors.StepConflict: Answer(Code.ABORTED, "SEQUENCE_TAKEN"),
    errors.UpdateContention: Answer(Code.ABORTED, "UPDATE_CONTENTION", retry_after=CONTENTION_RETRY_SECONDS),
    errors.DeadlineError: Answer(Code.FAILED_PRECONDITION, "DEADLINE_REFUSED"),
    errors.ConfigurationError: Answer(Code.INTERNAL, "CONFIGURATION_ERROR", internal=True),
    errors.StartupError: Answer(Code.INTERNAL, "STARTUP_FAILED", internal=True),
    # Valid request, missing calendar data: fails until an operator adds the year.
    errors.CalendarYearUnknown: Answer(Code.FAILED_PRECONDITION, "CALENDAR_YEAR_UNKNOWN"),
    errors.BusError: Answer(Code.INTERNAL, "BUS_ERROR", internal=True),
    errors.BusUnavailable: Answer(Code.UNAVAILABLE, "BUS_UNAVAILABLE", retry_after=BUS_RETRY_SECONDS),
    errors.BusRefused: Answer(Code.FAILED_PRECONDITION, "BUS_REFUSED"),
    errors.MessageTooLarge: Answer(Code.INVALID_ARGUMENT, "MESSAGE_TOO_LARGE"),
    errors.DeadLetterNotFound: Answer(Code.NOT_FOUND, "DEAD_LETTER_NOT_FOUND"),
    errors.RedriveRefused: Answer(Code.FAILED_PRECONDITION, "REDRIVE_REFUSED"),
    Exception: Answer(Code.INTERNAL, "INTERNAL_ERROR", internal=True),
}


def answer_for_type(error_type: type[BaseException]) -> Answer:
    """The row of the nearest class in the MRO."""
    for cls in error_type.__mro__:
        answer = ANSWERS.get(cls)
        if answer is not None:
            return answer
    return ANSWERS[Exception]


def answer_for(error: BaseException) -> Answer:
    return answer_for_type(type(error))


def _packed(message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def rich_status(
    code: grpc.StatusCode,
    message: str,
    *,
    reason: str = "",
    metadata: dict[str, str] | None = None,
    field_violations: Iterable[tuple[str, str]] = (),
    retry_after: float | None = None,
) -> grpc.Status:
    details: list[any_pb2.Any] = []
    if reason:
        details.append(_packed(error_details_pb2.ErrorInfo(reason=reason, domain=DOMAIN, metadata=metadata or {})))
    violations = [error_details_pb2.BadRequest.FieldViolation(field=f, description=d) for f, d in field_violations]
    if violations:
        details.append(_packed(error_details_pb2.BadRequest(field_violations=violations)))
    if retry_after is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(round(retry_after * 1e9))
        details.append(_packed(error_details_pb2.RetryInfo(retry_delay=delay)))
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=message, details=details)
    return rpc_status.to_status(status)


def status_for(error: BaseException, *, correlation_id: str = "") -> grpc.Status:
    """The status a caller gets for `error`; internal errors say only their correlation id."""
    answer = answer_for(error)
    metadata = dict(getattr(error, "metadata", None) or {})
    if answer.internal:
        # The message may name our internals; the caller gets a handle to find them in the log.
        message = f"internal error (correlation id {correlation_id})"
        metadata["correlationId"] = correlation_id
    else:
        message = str(error) or answer.reason
    if answer.retry_after is not None:
        metadata["retryDelaySeconds"] = f"{answer.retry_after:g}"
    return rich_status(answer.code, message, reason=answer.reason, metadata=metadata,
                       field_violations=getattr(error, "violations", ()), retry_after=answer.retry_after)
