"""The error convention: one root, one table to (gRPC code, ErrorInfo reason, retry advice), no UNKNOWN."""

from __future__ import annotations

import builtins
import importlib
import inspect
import pkgutil

import grpc
import pytest

from kernel import errors
from kernel.errors import (
    AdapterBusy,
    BusError, BusRefused, BusUnavailable, CalendarYearUnknown, CaseNotFound, ConfigurationError, DeadLetterNotFound, DeadlineError,
    InboxItemUnknown,
    DocumentRejected, InvalidRequest, JjjError, LimitExceeded, MappingError, MessageTooLarge, RequestIdReused, StartupError,
    CoHandlersPending, RedriveRefused, StepConflict, StepRefused, TransitionError, UnknownJurisdiction, UnsupportedDocumentFormat, UpdateContention,
)
from kernel.rpc.status import ANSWERS, DOMAIN, answer_for, answer_for_type, status_for
from cli.natsserver import NatsServerError
from tests.support.status import from_status

C = grpc.StatusCode
CORRELATION = "corr-0001"

# (error, code, ErrorInfo reason, retry delay in seconds or None, internal: answered with a correlation id only)
ROWS = [
    (InvalidRequest("status is required", violations=[("status", "must be set")]), C.INVALID_ARGUMENT, "INVALID_REQUEST", None, False),
    (UnsupportedDocumentFormat("no codec for document format 9", violations=[("document.format", "no codec")]),
     C.INVALID_ARGUMENT, "UNSUPPORTED_DOCUMENT_FORMAT", None, False),
    (DocumentRejected("no case could be sent", violations=[("gdbh", "missing"), ("sqsj", "not a time")]),
     C.INVALID_ARGUMENT, "DOCUMENT_REJECTED", None, False),
    (MappingError("件号", "empty"), C.INVALID_ARGUMENT, "MAPPING_FAILED", None, False),
    (UnknownJurisdiction("unknown jurisdiction 'shanghai'"), C.INVALID_ARGUMENT, "UNKNOWN_JURISDICTION", None, False),
    (LimitExceeded("a document of 9 MiB; at most 8 MiB", violations=[("document.content", "too large")]),
     C.RESOURCE_EXHAUSTED, "LIMIT_EXCEEDED", None, False),
    (AdapterBusy("1024 submissions waiting", metadata={"waiting": "1024"}), C.RESOURCE_EXHAUSTED, "ADAPTER_BUSY", 1.0, False),
    (RequestIdReused("request_id 'r-1' was already used", metadata={"requestId": "r-1"}),
     C.ALREADY_EXISTS, "REQUEST_ID_REUSED", None, False),
    (CaseNotFound("no cross-region case 'jjj:BJ:1'", metadata={"caseId": "jjj:BJ:1"}), C.NOT_FOUND, "CASE_NOT_FOUND", None, False),
    (InboxItemUnknown("no item 'S:9'", metadata={"itemId": "S:9"}), C.NOT_FOUND, "INBOX_ITEM_UNKNOWN", None, False),
    (StepRefused("held by beijing itself"), C.FAILED_PRECONDITION, "TRANSITION_REFUSED", None, False),
    (TransitionError("STATUS_REFERRED -> STATUS_REPLIED"), C.FAILED_PRECONDITION, "TRANSITION_REFUSED", None, False),
    (CoHandlersPending("waiting for tianjin", metadata={"waitingFor": "JURISDICTION_TIANJIN"}),
     C.FAILED_PRECONDITION, "CO_HANDLERS_PENDING", None, False),
    (StepConflict("step 3 was taken", metadata={"caseId": "jjj:BJ:1", "sequence": "3"}), C.ABORTED, "SEQUENCE_TAKEN", None, False),
    (UpdateContention("too many concurrent updates"), C.ABORTED, "UPDATE_CONTENTION", 0.5, False),
    (DeadlineError("sign may be extended 1 time(s) only"), C.FAILED_PRECONDITION, "DEADLINE_REFUSED", None, False),
    (CalendarYearUnknown(2031), C.FAILED_PRECONDITION, "CALENDAR_YEAR_UNKNOWN", None, False),
    (ConfigurationError("lifecycle.yaml: by must be holder, origin or either"), C.INTERNAL, "CONFIGURATION_ERROR", None, True),
    (StartupError("gateway keeps dying"), C.INTERNAL, "STARTUP_FAILED", None, True),
    (NatsServerError("nats-server not ready after 20s"), C.INTERNAL, "STARTUP_FAILED", None, True),
    (BusError("publishing x: protocol error"), C.INTERNAL, "BUS_ERROR", None, True),
    (BusUnavailable("the bus is unavailable (reconnecting to nats)"), C.UNAVAILABLE, "BUS_UNAVAILABLE", 2.0, False),
    (BusRefused("publishing x: JetStream.APIError maximum messages exceeded"), C.FAILED_PRECONDITION, "BUS_REFUSED", None, False),
    (MessageTooLarge("publishing x: the message exceeds the bus's maximum payload"),
     C.INVALID_ARGUMENT, "MESSAGE_TOO_LARGE", None, False),
    (DeadLetterNotFound("no dead letter 7 on JJJ_DEAD_LETTERS"), C.NOT_FOUND, "DEAD_LETTER_NOT_FOUND", None, False),
    (RedriveRefused("dead letter 7 was redriven 3 times already (at most 3)"), C.FAILED_PRECONDITION, "REDRIVE_REFUSED", None, False),
    (JjjError("an error nobody gave a row"), C.INTERNAL, "INTERNAL_ERROR", None, True),
    (Exception("boom"), C.INTERNAL, "INTERNAL_ERROR", None, True),
    (KeyError("some/secret/path"), C.INTERNAL, "INTERNAL_ERROR", None, True),
]


def _row_id(row) -> str:
    return type(row[0]).__name__


@pytest.mark.parametrize(("error", "code", "reason", "retry_delay", "internal"), ROWS, ids=[_row_id(r) for r in ROWS])
def test_each_row_answers_its_code_reason_and_retry_advice(error, code, reason, retry_delay, internal):
    answered = from_status(status_for(error, correlation_id=CORRELATION))

    assert answered.code == code
    assert (answered.error_info.reason, answered.error_info.domain) == (reason, DOMAIN)
    assert answered.retry_delay == retry_delay
    assert ("google.rpc.RetryInfo" in answered.detail_types) == (retry_delay is not None)
    expected_metadata = dict(getattr(error, "metadata", {}))
    if retry_delay is not None:
        expected_metadata["retryDelaySeconds"] = f"{retry_delay:g}"
    if internal:
        expected_metadata["correlationId"] = CORRELATION
        assert CORRELATION in answered.message and str(error) not in answered.message
    else:
        assert answered.message == str(error)
    assert dict(answered.error_info.metadata) == expected_metadata
    assert answered.violations == list(getattr(error, "violations", []))
    assert ("google.rpc.BadRequest" in answered.detail_types) == bool(answered.violations)


def test_a_mapping_error_names_its_native_field_as_the_violation():
    answered = from_status(status_for(MappingError("Petition/gdbh", "required")))
    assert answered.violations == [("Petition/gdbh", "required")]


def test_every_row_of_the_table_and_every_named_error_has_a_case_above():
    tested = {type(row[0]) for row in ROWS}
    assert set(ANSWERS) <= tested
    named = {cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, BaseException)}
    assert named <= tested


def test_a_subclass_without_a_row_answers_as_its_nearest_named_base():
    class CaseGone(CaseNotFound):
        pass

    class StrangeBusHiccup(BusUnavailable, KeyError):
        pass

    assert answer_for(CaseGone("x")) == ANSWERS[CaseNotFound]
    assert answer_for(StrangeBusHiccup("x")) == ANSWERS[BusUnavailable]


def test_no_built_in_exception_answers_unknown_or_ok():
    built_in = [cls for cls in vars(builtins).values() if isinstance(cls, type) and issubclass(cls, Exception)]
    assert len(built_in) > 40
    for cls in built_in:
        assert answer_for_type(cls).code not in (C.UNKNOWN, C.OK), cls


def test_errors_caught_as_built_ins_before_the_root_existed_still_are():
    assert issubclass(MappingError, ValueError) and issubclass(UnknownJurisdiction, ValueError)
    assert issubclass(TransitionError, ValueError) and issubclass(DeadlineError, ValueError)
    assert issubclass(ConfigurationError, ValueError) and issubclass(CalendarYearUnknown, LookupError)
    assert issubclass(CaseNotFound, LookupError) and issubclass(UnsupportedDocumentFormat, LookupError)
    assert issubclass(BusError, RuntimeError) and issubclass(NatsServerError, RuntimeError)


def test_errors_stay_importable_where_they_were_defined():
    from adapters.service import relay
    from kernel import codec, jurisdictions
    from kernel.bus import jetstream
    from kernel.domain import calendar, deadlines, lifecycle

    assert codec.MappingError is MappingError and jurisdictions.UnknownJurisdiction is UnknownJurisdiction
    assert lifecycle.TransitionError is TransitionError and deadlines.DeadlineError is DeadlineError
    assert calendar.CalendarYearUnknown is CalendarYearUnknown and jetstream.BusError is BusError
    assert (relay.DocumentRejected, relay.RequestIdReused, relay.CaseNotFound, relay.StepConflict, relay.StepRefused) == (
        DocumentRejected, RequestIdReused, CaseNotFound, StepConflict, StepRefused)
    assert relay.RelayError is InvalidRequest


def _project_exception_classes() -> set[type[BaseException]]:
    found = set()
    for package_name in ("kernel", "adapters", "gateway", "cli"):
        package = importlib.import_module(package_name)
        for module_info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            module = importlib.import_module(module_info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ == module.__name__ and issubclass(cls, BaseException):
                    found.add(cls)
    return found


def test_every_exception_class_in_the_project_derives_from_the_root():
    found = _project_exception_classes()
    # The walk reaches the error module and the command line's own error, so an empty walk cannot pass.
    assert {JjjError, BusUnavailable, MappingError, NatsServerError} <= found
    assert [cls.__qualname__ for cls in found if not issubclass(cls, JjjError)] == []
