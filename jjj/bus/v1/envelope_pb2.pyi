import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from jjj.case.v1 import case_pb2 as _case_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Flow(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FLOW_UNSPECIFIED: _ClassVar[Flow]
    FLOW_REFERRAL: _ClassVar[Flow]
    FLOW_HOTLINE_TRANSFER: _ClassVar[Flow]
    FLOW_STATUS_UPDATE: _ClassVar[Flow]
    FLOW_INFORMATION_SHARE: _ClassVar[Flow]
    FLOW_RECEIPT: _ClassVar[Flow]

class RoutingBasis(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTING_BASIS_UNSPECIFIED: _ClassVar[RoutingBasis]
    ROUTING_BASIS_LOCATION: _ClassVar[RoutingBasis]
    ROUTING_BASIS_EXPLICIT: _ClassVar[RoutingBasis]

class ShareTopic(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SHARE_TOPIC_UNSPECIFIED: _ClassVar[ShareTopic]
    SHARE_TOPIC_CASE_DIGEST: _ClassVar[ShareTopic]
    SHARE_TOPIC_STATUS_SYNC: _ClassVar[ShareTopic]
    SHARE_TOPIC_STATISTICS: _ClassVar[ShareTopic]
    SHARE_TOPIC_EARLY_WARNING: _ClassVar[ShareTopic]
    SHARE_TOPIC_NOTICE: _ClassVar[ShareTopic]
    SHARE_TOPIC_REPEAT_LINK: _ClassVar[ShareTopic]
    SHARE_TOPIC_DEADLINE: _ClassVar[ShareTopic]
    SHARE_TOPIC_EMERGENCY: _ClassVar[ShareTopic]
    SHARE_TOPIC_EMERGENCY_ACK: _ClassVar[ShareTopic]
    SHARE_TOPIC_CO_HANDLING_REQUEST: _ClassVar[ShareTopic]
    SHARE_TOPIC_CO_HANDLING_PART: _ClassVar[ShareTopic]
    SHARE_TOPIC_SUPERVISION: _ClassVar[ShareTopic]

class WarningLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WARNING_LEVEL_UNSPECIFIED: _ClassVar[WarningLevel]
    WARNING_LEVEL_BLUE: _ClassVar[WarningLevel]
    WARNING_LEVEL_YELLOW: _ClassVar[WarningLevel]
    WARNING_LEVEL_ORANGE: _ClassVar[WarningLevel]
    WARNING_LEVEL_RED: _ClassVar[WarningLevel]

class Classification(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLASSIFICATION_UNSPECIFIED: _ClassVar[Classification]
    CLASSIFICATION_PUBLIC: _ClassVar[Classification]
    CLASSIFICATION_INTERNAL: _ClassVar[Classification]
    CLASSIFICATION_RESTRICTED: _ClassVar[Classification]

class DeadlineKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEADLINE_KIND_UNSPECIFIED: _ClassVar[DeadlineKind]
    DEADLINE_KIND_REMINDER: _ClassVar[DeadlineKind]
    DEADLINE_KIND_OVERDUE: _ClassVar[DeadlineKind]

class DeadLetterReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEAD_LETTER_REASON_UNSPECIFIED: _ClassVar[DeadLetterReason]
    DEAD_LETTER_REASON_MALFORMED: _ClassVar[DeadLetterReason]
    DEAD_LETTER_REASON_UNSIGNED: _ClassVar[DeadLetterReason]
    DEAD_LETTER_REASON_UNKNOWN_KEY: _ClassVar[DeadLetterReason]
    DEAD_LETTER_REASON_KEY_NOT_VALID: _ClassVar[DeadLetterReason]
    DEAD_LETTER_REASON_BAD_SIGNATURE: _ClassVar[DeadLetterReason]
    DEAD_LETTER_REASON_SENDER_MISMATCH: _ClassVar[DeadLetterReason]
    DEAD_LETTER_REASON_NOT_ALLOWED: _ClassVar[DeadLetterReason]
    DEAD_LETTER_REASON_ILLEGAL_STEP: _ClassVar[DeadLetterReason]
    DEAD_LETTER_REASON_UNKNOWN_CASE: _ClassVar[DeadLetterReason]
    DEAD_LETTER_REASON_UNDELIVERABLE: _ClassVar[DeadLetterReason]
    DEAD_LETTER_REASON_UNPROCESSABLE: _ClassVar[DeadLetterReason]
FLOW_UNSPECIFIED: Flow
FLOW_REFERRAL: Flow
FLOW_HOTLINE_TRANSFER: Flow
FLOW_STATUS_UPDATE: Flow
FLOW_INFORMATION_SHARE: Flow
FLOW_RECEIPT: Flow
ROUTING_BASIS_UNSPECIFIED: RoutingBasis
ROUTING_BASIS_LOCATION: RoutingBasis
ROUTING_BASIS_EXPLICIT: RoutingBasis
SHARE_TOPIC_UNSPECIFIED: ShareTopic
SHARE_TOPIC_CASE_DIGEST: ShareTopic
SHARE_TOPIC_STATUS_SYNC: ShareTopic
SHARE_TOPIC_STATISTICS: ShareTopic
SHARE_TOPIC_EARLY_WARNING: ShareTopic
SHARE_TOPIC_NOTICE: ShareTopic
SHARE_TOPIC_REPEAT_LINK: ShareTopic
SHARE_TOPIC_DEADLINE: ShareTopic
SHARE_TOPIC_EMERGENCY: ShareTopic
SHARE_TOPIC_EMERGENCY_ACK: ShareTopic
SHARE_TOPIC_CO_HANDLING_REQUEST: ShareTopic
SHARE_TOPIC_CO_HANDLING_PART: ShareTopic
SHARE_TOPIC_SUPERVISION: ShareTopic
WARNING_LEVEL_UNSPECIFIED: WarningLevel
WARNING_LEVEL_BLUE: WarningLevel
WARNING_LEVEL_YELLOW: WarningLevel
WARNING_LEVEL_ORANGE: WarningLevel
WARNING_LEVEL_RED: WarningLevel
CLASSIFICATION_UNSPECIFIED: Classification
CLASSIFICATION_PUBLIC: Classification
CLASSIFICATION_INTERNAL: Classification
CLASSIFICATION_RESTRICTED: Classification
DEADLINE_KIND_UNSPECIFIED: DeadlineKind
DEADLINE_KIND_REMINDER: DeadlineKind
DEADLINE_KIND_OVERDUE: DeadlineKind
DEAD_LETTER_REASON_UNSPECIFIED: DeadLetterReason
DEAD_LETTER_REASON_MALFORMED: DeadLetterReason
DEAD_LETTER_REASON_UNSIGNED: DeadLetterReason
DEAD_LETTER_REASON_UNKNOWN_KEY: DeadLetterReason
DEAD_LETTER_REASON_KEY_NOT_VALID: DeadLetterReason
DEAD_LETTER_REASON_BAD_SIGNATURE: DeadLetterReason
DEAD_LETTER_REASON_SENDER_MISMATCH: DeadLetterReason
DEAD_LETTER_REASON_NOT_ALLOWED: DeadLetterReason
DEAD_LETTER_REASON_ILLEGAL_STEP: DeadLetterReason
DEAD_LETTER_REASON_UNKNOWN_CASE: DeadLetterReason
DEAD_LETTER_REASON_UNDELIVERABLE: DeadLetterReason
DEAD_LETTER_REASON_UNPROCESSABLE: DeadLetterReason

class Referral(_message.Message):
    __slots__ = ("case", "basis", "attempt", "note", "sequence")
    CASE_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    basis: RoutingBasis
    attempt: int
    note: str
    sequence: int
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ..., basis: _Optional[_Union[RoutingBasis, str]] = ..., attempt: _Optional[int] = ..., note: _Optional[str] = ..., sequence: _Optional[int] = ...) -> None: ...

class HotlineTransfer(_message.Message):
    __slots__ = ("case", "attempt", "note", "sequence")
    CASE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    attempt: int
    note: str
    sequence: int
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ..., attempt: _Optional[int] = ..., note: _Optional[str] = ..., sequence: _Optional[int] = ...) -> None: ...

class StatusUpdate(_message.Message):
    __slots__ = ("case_id", "sequence", "status", "event", "reason", "feedback", "reporter", "return_reason", "closing", "merged_into", "coordination")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    RETURN_REASON_FIELD_NUMBER: _ClassVar[int]
    CLOSING_FIELD_NUMBER: _ClassVar[int]
    MERGED_INTO_FIELD_NUMBER: _ClassVar[int]
    COORDINATION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    sequence: int
    status: _case_pb2.Status
    event: _case_pb2.Event
    reason: str
    feedback: _case_pb2.Feedback
    reporter: _case_pb2.Jurisdiction
    return_reason: _case_pb2.ReturnReason
    closing: _case_pb2.Closing
    merged_into: str
    coordination: _case_pb2.CoordinationDecision
    def __init__(self, case_id: _Optional[str] = ..., sequence: _Optional[int] = ..., status: _Optional[_Union[_case_pb2.Status, str]] = ..., event: _Optional[_Union[_case_pb2.Event, _Mapping]] = ..., reason: _Optional[str] = ..., feedback: _Optional[_Union[_case_pb2.Feedback, _Mapping]] = ..., reporter: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., return_reason: _Optional[_Union[_case_pb2.ReturnReason, str]] = ..., closing: _Optional[_Union[_case_pb2.Closing, str]] = ..., merged_into: _Optional[str] = ..., coordination: _Optional[_Union[_case_pb2.CoordinationDecision, _Mapping]] = ...) -> None: ...

class Supervision(_message.Message):
    __slots__ = ("case_id", "type", "reason", "by", "at", "supervision_id")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    BY_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    SUPERVISION_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    type: _case_pb2.EventType
    reason: str
    by: str
    at: _timestamp_pb2.Timestamp
    supervision_id: str
    def __init__(self, case_id: _Optional[str] = ..., type: _Optional[_Union[_case_pb2.EventType, str]] = ..., reason: _Optional[str] = ..., by: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., supervision_id: _Optional[str] = ...) -> None: ...

class CoHandlingPart(_message.Message):
    __slots__ = ("case_id", "co_handler", "lead", "status", "note", "at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CO_HANDLER_FIELD_NUMBER: _ClassVar[int]
    LEAD_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    co_handler: _case_pb2.Jurisdiction
    lead: _case_pb2.Jurisdiction
    status: _case_pb2.Status
    note: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., co_handler: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., lead: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., status: _Optional[_Union[_case_pb2.Status, str]] = ..., note: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EmergencyBroadcast(_message.Message):
    __slots__ = ("broadcast_id", "category", "level", "admin_codes", "issued_at", "ack_due_at", "summary", "unacknowledged", "broadcaster")
    BROADCAST_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    ADMIN_CODES_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    ACK_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    UNACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    BROADCASTER_FIELD_NUMBER: _ClassVar[int]
    broadcast_id: str
    category: str
    level: WarningLevel
    admin_codes: _containers.RepeatedScalarFieldContainer[str]
    issued_at: _timestamp_pb2.Timestamp
    ack_due_at: _timestamp_pb2.Timestamp
    summary: str
    unacknowledged: _containers.RepeatedScalarFieldContainer[_case_pb2.Jurisdiction]
    broadcaster: _case_pb2.Jurisdiction
    def __init__(self, broadcast_id: _Optional[str] = ..., category: _Optional[str] = ..., level: _Optional[_Union[WarningLevel, str]] = ..., admin_codes: _Optional[_Iterable[str]] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ack_due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., summary: _Optional[str] = ..., unacknowledged: _Optional[_Iterable[_Union[_case_pb2.Jurisdiction, str]]] = ..., broadcaster: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ...) -> None: ...

class EmergencyAck(_message.Message):
    __slots__ = ("broadcast_id", "broadcaster", "acknowledged_at", "note")
    BROADCAST_ID_FIELD_NUMBER: _ClassVar[int]
    BROADCASTER_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_AT_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    broadcast_id: str
    broadcaster: _case_pb2.Jurisdiction
    acknowledged_at: _timestamp_pb2.Timestamp
    note: str
    def __init__(self, broadcast_id: _Optional[str] = ..., broadcaster: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., acknowledged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class EarlyWarning(_message.Message):
    __slots__ = ("level", "admin_codes", "category_code", "period_start", "period_end", "count", "detected_by_federation", "jurisdictions", "area")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    ADMIN_CODES_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_CODE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    DETECTED_BY_FEDERATION_FIELD_NUMBER: _ClassVar[int]
    JURISDICTIONS_FIELD_NUMBER: _ClassVar[int]
    AREA_FIELD_NUMBER: _ClassVar[int]
    level: WarningLevel
    admin_codes: _containers.RepeatedScalarFieldContainer[str]
    category_code: str
    period_start: _timestamp_pb2.Timestamp
    period_end: _timestamp_pb2.Timestamp
    count: int
    detected_by_federation: bool
    jurisdictions: _containers.RepeatedScalarFieldContainer[_case_pb2.Jurisdiction]
    area: str
    def __init__(self, level: _Optional[_Union[WarningLevel, str]] = ..., admin_codes: _Optional[_Iterable[str]] = ..., category_code: _Optional[str] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., count: _Optional[int] = ..., detected_by_federation: _Optional[bool] = ..., jurisdictions: _Optional[_Iterable[_Union[_case_pb2.Jurisdiction, str]]] = ..., area: _Optional[str] = ...) -> None: ...

class CaseDigest(_message.Message):
    __slots__ = ("case_id", "origin", "kind", "category_code", "admin_code", "status", "received_at", "title", "masked_name", "masked_phone", "requester_key", "content_sketch", "category_source_code")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_CODE_FIELD_NUMBER: _ClassVar[int]
    ADMIN_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MASKED_NAME_FIELD_NUMBER: _ClassVar[int]
    MASKED_PHONE_FIELD_NUMBER: _ClassVar[int]
    REQUESTER_KEY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_SKETCH_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_SOURCE_CODE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    origin: _case_pb2.Jurisdiction
    kind: _case_pb2.CaseKind
    category_code: str
    admin_code: str
    status: _case_pb2.Status
    received_at: _timestamp_pb2.Timestamp
    title: str
    masked_name: str
    masked_phone: str
    requester_key: str
    content_sketch: _containers.RepeatedScalarFieldContainer[int]
    category_source_code: str
    def __init__(self, case_id: _Optional[str] = ..., origin: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., kind: _Optional[_Union[_case_pb2.CaseKind, str]] = ..., category_code: _Optional[str] = ..., admin_code: _Optional[str] = ..., status: _Optional[_Union[_case_pb2.Status, str]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., title: _Optional[str] = ..., masked_name: _Optional[str] = ..., masked_phone: _Optional[str] = ..., requester_key: _Optional[str] = ..., content_sketch: _Optional[_Iterable[int]] = ..., category_source_code: _Optional[str] = ...) -> None: ...

class RepeatLink(_message.Message):
    __slots__ = ("case_id", "earlier_case_id", "earlier_origin", "score", "reasons", "earlier_status", "earlier_reviewed")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    EARLIER_CASE_ID_FIELD_NUMBER: _ClassVar[int]
    EARLIER_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    EARLIER_STATUS_FIELD_NUMBER: _ClassVar[int]
    EARLIER_REVIEWED_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    earlier_case_id: str
    earlier_origin: _case_pb2.Jurisdiction
    score: float
    reasons: _containers.RepeatedScalarFieldContainer[str]
    earlier_status: _case_pb2.Status
    earlier_reviewed: bool
    def __init__(self, case_id: _Optional[str] = ..., earlier_case_id: _Optional[str] = ..., earlier_origin: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., score: _Optional[float] = ..., reasons: _Optional[_Iterable[str]] = ..., earlier_status: _Optional[_Union[_case_pb2.Status, str]] = ..., earlier_reviewed: _Optional[bool] = ...) -> None: ...

class DeadlineNotice(_message.Message):
    __slots__ = ("case_id", "step", "kind", "due_at", "provisional", "limits_of", "own_limits", "assigned_due")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    PROVISIONAL_FIELD_NUMBER: _ClassVar[int]
    LIMITS_OF_FIELD_NUMBER: _ClassVar[int]
    OWN_LIMITS_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_DUE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    step: str
    kind: DeadlineKind
    due_at: _timestamp_pb2.Timestamp
    provisional: bool
    limits_of: _case_pb2.Jurisdiction
    own_limits: bool
    assigned_due: bool
    def __init__(self, case_id: _Optional[str] = ..., step: _Optional[str] = ..., kind: _Optional[_Union[DeadlineKind, str]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., provisional: _Optional[bool] = ..., limits_of: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., own_limits: _Optional[bool] = ..., assigned_due: _Optional[bool] = ...) -> None: ...

class InformationShare(_message.Message):
    __slots__ = ("topic", "classification", "audience", "title", "body", "digests", "repeat_links", "deadlines", "emergency", "emergency_ack", "early_warning", "co_handled_case", "co_handling_part", "supervision")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    CLASSIFICATION_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    DIGESTS_FIELD_NUMBER: _ClassVar[int]
    REPEAT_LINKS_FIELD_NUMBER: _ClassVar[int]
    DEADLINES_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_ACK_FIELD_NUMBER: _ClassVar[int]
    EARLY_WARNING_FIELD_NUMBER: _ClassVar[int]
    CO_HANDLED_CASE_FIELD_NUMBER: _ClassVar[int]
    CO_HANDLING_PART_FIELD_NUMBER: _ClassVar[int]
    SUPERVISION_FIELD_NUMBER: _ClassVar[int]
    topic: ShareTopic
    classification: Classification
    audience: _containers.RepeatedScalarFieldContainer[_case_pb2.Jurisdiction]
    title: str
    body: str
    digests: _containers.RepeatedCompositeFieldContainer[CaseDigest]
    repeat_links: _containers.RepeatedCompositeFieldContainer[RepeatLink]
    deadlines: _containers.RepeatedCompositeFieldContainer[DeadlineNotice]
    emergency: EmergencyBroadcast
    emergency_ack: EmergencyAck
    early_warning: EarlyWarning
    co_handled_case: _case_pb2.Case
    co_handling_part: CoHandlingPart
    supervision: Supervision
    def __init__(self, topic: _Optional[_Union[ShareTopic, str]] = ..., classification: _Optional[_Union[Classification, str]] = ..., audience: _Optional[_Iterable[_Union[_case_pb2.Jurisdiction, str]]] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., digests: _Optional[_Iterable[_Union[CaseDigest, _Mapping]]] = ..., repeat_links: _Optional[_Iterable[_Union[RepeatLink, _Mapping]]] = ..., deadlines: _Optional[_Iterable[_Union[DeadlineNotice, _Mapping]]] = ..., emergency: _Optional[_Union[EmergencyBroadcast, _Mapping]] = ..., emergency_ack: _Optional[_Union[EmergencyAck, _Mapping]] = ..., early_warning: _Optional[_Union[EarlyWarning, _Mapping]] = ..., co_handled_case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ..., co_handling_part: _Optional[_Union[CoHandlingPart, _Mapping]] = ..., supervision: _Optional[_Union[Supervision, _Mapping]] = ...) -> None: ...

class Signature(_message.Message):
    __slots__ = ("key_id", "value", "signed_at")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    value: bytes
    signed_at: _timestamp_pb2.Timestamp
    def __init__(self, key_id: _Optional[str] = ..., value: _Optional[bytes] = ..., signed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Receipt(_message.Message):
    __slots__ = ("envelope_id", "envelope_digest", "receiver", "acknowledged_at", "flow", "case_id", "delivered_at", "delivery_count")
    ENVELOPE_ID_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    RECEIVER_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_AT_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_COUNT_FIELD_NUMBER: _ClassVar[int]
    envelope_id: str
    envelope_digest: bytes
    receiver: _case_pb2.Jurisdiction
    acknowledged_at: _timestamp_pb2.Timestamp
    flow: Flow
    case_id: str
    delivered_at: _timestamp_pb2.Timestamp
    delivery_count: int
    def __init__(self, envelope_id: _Optional[str] = ..., envelope_digest: _Optional[bytes] = ..., receiver: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., acknowledged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., flow: _Optional[_Union[Flow, str]] = ..., case_id: _Optional[str] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivery_count: _Optional[int] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("envelope", "subject", "reason", "detail", "receiver", "delivery_count", "rejected_at", "stream", "stream_sequence", "envelope_id", "replay_count")
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    RECEIVER_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_COUNT_FIELD_NUMBER: _ClassVar[int]
    REJECTED_AT_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    STREAM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_ID_FIELD_NUMBER: _ClassVar[int]
    REPLAY_COUNT_FIELD_NUMBER: _ClassVar[int]
    envelope: bytes
    subject: str
    reason: DeadLetterReason
    detail: str
    receiver: _case_pb2.Jurisdiction
    delivery_count: int
    rejected_at: _timestamp_pb2.Timestamp
    stream: str
    stream_sequence: int
    envelope_id: str
    replay_count: int
    def __init__(self, envelope: _Optional[bytes] = ..., subject: _Optional[str] = ..., reason: _Optional[_Union[DeadLetterReason, str]] = ..., detail: _Optional[str] = ..., receiver: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., delivery_count: _Optional[int] = ..., rejected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stream: _Optional[str] = ..., stream_sequence: _Optional[int] = ..., envelope_id: _Optional[str] = ..., replay_count: _Optional[int] = ...) -> None: ...

class Envelope(_message.Message):
    __slots__ = ("envelope_id", "flow", "sender", "destination", "sent_at", "request_id", "referral", "hotline_transfer", "status_update", "information_share", "receipt", "signature")
    ENVELOPE_ID_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    HOTLINE_TRANSFER_FIELD_NUMBER: _ClassVar[int]
    STATUS_UPDATE_FIELD_NUMBER: _ClassVar[int]
    INFORMATION_SHARE_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    envelope_id: str
    flow: Flow
    sender: _case_pb2.Jurisdiction
    destination: _case_pb2.Jurisdiction
    sent_at: _timestamp_pb2.Timestamp
    request_id: str
    referral: Referral
    hotline_transfer: HotlineTransfer
    status_update: StatusUpdate
    information_share: InformationShare
    receipt: Receipt
    signature: Signature
    def __init__(self, envelope_id: _Optional[str] = ..., flow: _Optional[_Union[Flow, str]] = ..., sender: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., destination: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ..., referral: _Optional[_Union[Referral, _Mapping]] = ..., hotline_transfer: _Optional[_Union[HotlineTransfer, _Mapping]] = ..., status_update: _Optional[_Union[StatusUpdate, _Mapping]] = ..., information_share: _Optional[_Union[InformationShare, _Mapping]] = ..., receipt: _Optional[_Union[Receipt, _Mapping]] = ..., signature: _Optional[_Union[Signature, _Mapping]] = ...) -> None: ...

class EnvelopeBundle(_message.Message):
    __slots__ = ("envelopes",)
    ENVELOPES_FIELD_NUMBER: _ClassVar[int]
    envelopes: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, envelopes: _Optional[_Iterable[bytes]] = ...) -> None: ...

class IngestChunk(_message.Message):
    __slots__ = ("ingest_id", "chunk", "sender", "flow", "destination", "note", "cases", "signature")
    INGEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    CASES_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    ingest_id: str
    chunk: int
    sender: _case_pb2.Jurisdiction
    flow: Flow
    destination: _case_pb2.Jurisdiction
    note: str
    cases: _containers.RepeatedCompositeFieldContainer[_case_pb2.Case]
    signature: Signature
    def __init__(self, ingest_id: _Optional[str] = ..., chunk: _Optional[int] = ..., sender: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., flow: _Optional[_Union[Flow, str]] = ..., destination: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., note: _Optional[str] = ..., cases: _Optional[_Iterable[_Union[_case_pb2.Case, _Mapping]]] = ..., signature: _Optional[_Union[Signature, _Mapping]] = ...) -> None: ...
