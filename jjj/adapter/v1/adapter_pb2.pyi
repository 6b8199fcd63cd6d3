import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from jjj.bus.v1 import envelope_pb2 as _envelope_pb2
from jjj.case.v1 import case_pb2 as _case_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DocumentFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOCUMENT_FORMAT_UNSPECIFIED: _ClassVar[DocumentFormat]
    DOCUMENT_FORMAT_BEIJING_JSON: _ClassVar[DocumentFormat]
    DOCUMENT_FORMAT_TIANJIN_XML: _ClassVar[DocumentFormat]
    DOCUMENT_FORMAT_HEBEI_CSV: _ClassVar[DocumentFormat]
    DOCUMENT_FORMAT_COMMON_JSONL: _ClassVar[DocumentFormat]

class AckResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACK_RESULT_UNSPECIFIED: _ClassVar[AckResult]
    ACK_RESULT_ACKNOWLEDGED: _ClassVar[AckResult]
    ACK_RESULT_ALREADY_ACKNOWLEDGED: _ClassVar[AckResult]
DOCUMENT_FORMAT_UNSPECIFIED: DocumentFormat
DOCUMENT_FORMAT_BEIJING_JSON: DocumentFormat
DOCUMENT_FORMAT_TIANJIN_XML: DocumentFormat
DOCUMENT_FORMAT_HEBEI_CSV: DocumentFormat
DOCUMENT_FORMAT_COMMON_JSONL: DocumentFormat
ACK_RESULT_UNSPECIFIED: AckResult
ACK_RESULT_ACKNOWLEDGED: AckResult
ACK_RESULT_ALREADY_ACKNOWLEDGED: AckResult

class NativeDocument(_message.Message):
    __slots__ = ("content", "format", "filename")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    content: bytes
    format: DocumentFormat
    filename: str
    def __init__(self, content: _Optional[bytes] = ..., format: _Optional[_Union[DocumentFormat, str]] = ..., filename: _Optional[str] = ...) -> None: ...

class Rejection(_message.Message):
    __slots__ = ("row", "record", "field", "reason", "quarantine_id")
    ROW_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    QUARANTINE_ID_FIELD_NUMBER: _ClassVar[int]
    row: int
    record: int
    field: str
    reason: str
    quarantine_id: str
    def __init__(self, row: _Optional[int] = ..., record: _Optional[int] = ..., field: _Optional[str] = ..., reason: _Optional[str] = ..., quarantine_id: _Optional[str] = ...) -> None: ...

class SubmitDocumentRequest(_message.Message):
    __slots__ = ("request_id", "document", "flow", "destination", "note")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    document: NativeDocument
    flow: _envelope_pb2.Flow
    destination: _case_pb2.Jurisdiction
    note: str
    def __init__(self, request_id: _Optional[str] = ..., document: _Optional[_Union[NativeDocument, _Mapping]] = ..., flow: _Optional[_Union[_envelope_pb2.Flow, str]] = ..., destination: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., note: _Optional[str] = ...) -> None: ...

class Submission(_message.Message):
    __slots__ = ("case_id", "destination", "envelope_id", "duplicate", "quality_flags", "basis", "repeats", "repeats_omitted", "queued")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_ID_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FLAGS_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    REPEATS_FIELD_NUMBER: _ClassVar[int]
    REPEATS_OMITTED_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    destination: _case_pb2.Jurisdiction
    envelope_id: str
    duplicate: bool
    quality_flags: _containers.RepeatedScalarFieldContainer[str]
    basis: _envelope_pb2.RoutingBasis
    repeats: _containers.RepeatedCompositeFieldContainer[_envelope_pb2.RepeatLink]
    repeats_omitted: int
    queued: bool
    def __init__(self, case_id: _Optional[str] = ..., destination: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., envelope_id: _Optional[str] = ..., duplicate: _Optional[bool] = ..., quality_flags: _Optional[_Iterable[str]] = ..., basis: _Optional[_Union[_envelope_pb2.RoutingBasis, str]] = ..., repeats: _Optional[_Iterable[_Union[_envelope_pb2.RepeatLink, _Mapping]]] = ..., repeats_omitted: _Optional[int] = ..., queued: _Optional[bool] = ...) -> None: ...

class SubmitDocumentResponse(_message.Message):
    __slots__ = ("submissions", "rejections")
    SUBMISSIONS_FIELD_NUMBER: _ClassVar[int]
    REJECTIONS_FIELD_NUMBER: _ClassVar[int]
    submissions: _containers.RepeatedCompositeFieldContainer[Submission]
    rejections: _containers.RepeatedCompositeFieldContainer[Rejection]
    def __init__(self, submissions: _Optional[_Iterable[_Union[Submission, _Mapping]]] = ..., rejections: _Optional[_Iterable[_Union[Rejection, _Mapping]]] = ...) -> None: ...

class OpenInboxRequest(_message.Message):
    __slots__ = ("flows", "items_per_message")
    FLOWS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_PER_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    flows: _containers.RepeatedScalarFieldContainer[_envelope_pb2.Flow]
    items_per_message: int
    def __init__(self, flows: _Optional[_Iterable[_Union[_envelope_pb2.Flow, str]]] = ..., items_per_message: _Optional[int] = ...) -> None: ...

class InboxItem(_message.Message):
    __slots__ = ("item_id", "envelope", "native", "delivery_count")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    NATIVE_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_COUNT_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    envelope: _envelope_pb2.Envelope
    native: NativeDocument
    delivery_count: int
    def __init__(self, item_id: _Optional[str] = ..., envelope: _Optional[_Union[_envelope_pb2.Envelope, _Mapping]] = ..., native: _Optional[_Union[NativeDocument, _Mapping]] = ..., delivery_count: _Optional[int] = ...) -> None: ...

class OpenInboxResponse(_message.Message):
    __slots__ = ("item", "items")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    item: InboxItem
    items: _containers.RepeatedCompositeFieldContainer[InboxItem]
    def __init__(self, item: _Optional[_Union[InboxItem, _Mapping]] = ..., items: _Optional[_Iterable[_Union[InboxItem, _Mapping]]] = ...) -> None: ...

class AcknowledgeInboxItemRequest(_message.Message):
    __slots__ = ("item_id",)
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    def __init__(self, item_id: _Optional[str] = ...) -> None: ...

class AcknowledgeInboxItemResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: AckResult
    def __init__(self, result: _Optional[_Union[AckResult, str]] = ...) -> None: ...

class AcknowledgeInboxItemsRequest(_message.Message):
    __slots__ = ("item_ids",)
    ITEM_IDS_FIELD_NUMBER: _ClassVar[int]
    item_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, item_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class AcknowledgeInboxItemsResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[AcknowledgeInboxItemOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[AcknowledgeInboxItemOutcome, _Mapping]]] = ...) -> None: ...

class AcknowledgeInboxItemOutcome(_message.Message):
    __slots__ = ("item_id", "result", "unknown")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    result: AckResult
    unknown: bool
    def __init__(self, item_id: _Optional[str] = ..., result: _Optional[_Union[AckResult, str]] = ..., unknown: _Optional[bool] = ...) -> None: ...

class ReportStatusRequest(_message.Message):
    __slots__ = ("request_id", "case_id", "status", "actor", "note", "reason", "feedback", "at", "event_type", "extension", "return_reason", "closing", "merged_into", "coordination")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    EXTENSION_FIELD_NUMBER: _ClassVar[int]
    RETURN_REASON_FIELD_NUMBER: _ClassVar[int]
    CLOSING_FIELD_NUMBER: _ClassVar[int]
    MERGED_INTO_FIELD_NUMBER: _ClassVar[int]
    COORDINATION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    case_id: str
    status: _case_pb2.Status
    actor: str
    note: str
    reason: str
    feedback: _case_pb2.Feedback
    at: _timestamp_pb2.Timestamp
    event_type: _case_pb2.EventType
    extension: _case_pb2.DeadlineExtension
    return_reason: _case_pb2.ReturnReason
    closing: _case_pb2.Closing
    merged_into: str
    coordination: _case_pb2.CoordinationDecision
    def __init__(self, request_id: _Optional[str] = ..., case_id: _Optional[str] = ..., status: _Optional[_Union[_case_pb2.Status, str]] = ..., actor: _Optional[str] = ..., note: _Optional[str] = ..., reason: _Optional[str] = ..., feedback: _Optional[_Union[_case_pb2.Feedback, _Mapping]] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_type: _Optional[_Union[_case_pb2.EventType, str]] = ..., extension: _Optional[_Union[_case_pb2.DeadlineExtension, _Mapping]] = ..., return_reason: _Optional[_Union[_case_pb2.ReturnReason, str]] = ..., closing: _Optional[_Union[_case_pb2.Closing, str]] = ..., merged_into: _Optional[str] = ..., coordination: _Optional[_Union[_case_pb2.CoordinationDecision, _Mapping]] = ...) -> None: ...

class ReportStatusResponse(_message.Message):
    __slots__ = ("case_id", "status", "sequence", "queued")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    status: _case_pb2.Status
    sequence: int
    queued: bool
    def __init__(self, case_id: _Optional[str] = ..., status: _Optional[_Union[_case_pb2.Status, str]] = ..., sequence: _Optional[int] = ..., queued: _Optional[bool] = ...) -> None: ...

class ShareInformationRequest(_message.Message):
    __slots__ = ("request_id", "topic", "classification", "audience", "title", "body", "document", "emergency", "emergency_ack", "early_warning", "co_handled_case_id", "co_handling_part")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    CLASSIFICATION_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_ACK_FIELD_NUMBER: _ClassVar[int]
    EARLY_WARNING_FIELD_NUMBER: _ClassVar[int]
    CO_HANDLED_CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CO_HANDLING_PART_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    topic: _envelope_pb2.ShareTopic
    classification: _envelope_pb2.Classification
    audience: _containers.RepeatedScalarFieldContainer[_case_pb2.Jurisdiction]
    title: str
    body: str
    document: NativeDocument
    emergency: _envelope_pb2.EmergencyBroadcast
    emergency_ack: _envelope_pb2.EmergencyAck
    early_warning: _envelope_pb2.EarlyWarning
    co_handled_case_id: str
    co_handling_part: _envelope_pb2.CoHandlingPart
    def __init__(self, request_id: _Optional[str] = ..., topic: _Optional[_Union[_envelope_pb2.ShareTopic, str]] = ..., classification: _Optional[_Union[_envelope_pb2.Classification, str]] = ..., audience: _Optional[_Iterable[_Union[_case_pb2.Jurisdiction, str]]] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., document: _Optional[_Union[NativeDocument, _Mapping]] = ..., emergency: _Optional[_Union[_envelope_pb2.EmergencyBroadcast, _Mapping]] = ..., emergency_ack: _Optional[_Union[_envelope_pb2.EmergencyAck, _Mapping]] = ..., early_warning: _Optional[_Union[_envelope_pb2.EarlyWarning, _Mapping]] = ..., co_handled_case_id: _Optional[str] = ..., co_handling_part: _Optional[_Union[_envelope_pb2.CoHandlingPart, _Mapping]] = ...) -> None: ...

class ShareInformationResponse(_message.Message):
    __slots__ = ("envelope_ids", "repeats", "rejections")
    ENVELOPE_IDS_FIELD_NUMBER: _ClassVar[int]
    REPEATS_FIELD_NUMBER: _ClassVar[int]
    REJECTIONS_FIELD_NUMBER: _ClassVar[int]
    envelope_ids: _containers.RepeatedScalarFieldContainer[str]
    repeats: _containers.RepeatedCompositeFieldContainer[_envelope_pb2.RepeatLink]
    rejections: _containers.RepeatedCompositeFieldContainer[Rejection]
    def __init__(self, envelope_ids: _Optional[_Iterable[str]] = ..., repeats: _Optional[_Iterable[_Union[_envelope_pb2.RepeatLink, _Mapping]]] = ..., rejections: _Optional[_Iterable[_Union[Rejection, _Mapping]]] = ...) -> None: ...

class GetCaseRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class GetCaseResponse(_message.Message):
    __slots__ = ("case", "sequence", "holder", "flow", "attempt", "holder_sequence", "receipts")
    CASE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    HOLDER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RECEIPTS_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    sequence: int
    holder: _case_pb2.Jurisdiction
    flow: _envelope_pb2.Flow
    attempt: int
    holder_sequence: int
    receipts: _containers.RepeatedCompositeFieldContainer[_envelope_pb2.Envelope]
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ..., sequence: _Optional[int] = ..., holder: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., flow: _Optional[_Union[_envelope_pb2.Flow, str]] = ..., attempt: _Optional[int] = ..., holder_sequence: _Optional[int] = ..., receipts: _Optional[_Iterable[_Union[_envelope_pb2.Envelope, _Mapping]]] = ...) -> None: ...

class MapToCommonRequest(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: NativeDocument
    def __init__(self, document: _Optional[_Union[NativeDocument, _Mapping]] = ...) -> None: ...

class MapToCommonResponse(_message.Message):
    __slots__ = ("cases", "rejections")
    CASES_FIELD_NUMBER: _ClassVar[int]
    REJECTIONS_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[_case_pb2.Case]
    rejections: _containers.RepeatedCompositeFieldContainer[Rejection]
    def __init__(self, cases: _Optional[_Iterable[_Union[_case_pb2.Case, _Mapping]]] = ..., rejections: _Optional[_Iterable[_Union[Rejection, _Mapping]]] = ...) -> None: ...

class MapFromCommonRequest(_message.Message):
    __slots__ = ("cases",)
    CASES_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[_case_pb2.Case]
    def __init__(self, cases: _Optional[_Iterable[_Union[_case_pb2.Case, _Mapping]]] = ...) -> None: ...

class MapFromCommonResponse(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: NativeDocument
    def __init__(self, document: _Optional[_Union[NativeDocument, _Mapping]] = ...) -> None: ...

class IngestDocumentRequest(_message.Message):
    __slots__ = ("request_id", "format", "filename", "flow", "destination", "note", "content")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    format: DocumentFormat
    filename: str
    flow: _envelope_pb2.Flow
    destination: _case_pb2.Jurisdiction
    note: str
    content: bytes
    def __init__(self, request_id: _Optional[str] = ..., format: _Optional[_Union[DocumentFormat, str]] = ..., filename: _Optional[str] = ..., flow: _Optional[_Union[_envelope_pb2.Flow, str]] = ..., destination: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., note: _Optional[str] = ..., content: _Optional[bytes] = ...) -> None: ...

class IngestDocumentResponse(_message.Message):
    __slots__ = ("ingest_id", "rows", "accepted", "rejected", "rejections", "chunks", "document_bytes", "document_sha256")
    INGEST_ID_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    REJECTIONS_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_BYTES_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_SHA256_FIELD_NUMBER: _ClassVar[int]
    ingest_id: str
    rows: int
    accepted: int
    rejected: int
    rejections: _containers.RepeatedCompositeFieldContainer[Rejection]
    chunks: int
    document_bytes: int
    document_sha256: str
    def __init__(self, ingest_id: _Optional[str] = ..., rows: _Optional[int] = ..., accepted: _Optional[int] = ..., rejected: _Optional[int] = ..., rejections: _Optional[_Iterable[_Union[Rejection, _Mapping]]] = ..., chunks: _Optional[int] = ..., document_bytes: _Optional[int] = ..., document_sha256: _Optional[str] = ...) -> None: ...
