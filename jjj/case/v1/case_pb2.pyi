import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Jurisdiction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JURISDICTION_UNSPECIFIED: _ClassVar[Jurisdiction]
    JURISDICTION_BEIJING: _ClassVar[Jurisdiction]
    JURISDICTION_TIANJIN: _ClassVar[Jurisdiction]
    JURISDICTION_HEBEI: _ClassVar[Jurisdiction]

class CaseKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CASE_KIND_UNSPECIFIED: _ClassVar[CaseKind]
    CASE_KIND_HOTLINE_REQUEST: _ClassVar[CaseKind]
    CASE_KIND_PETITION: _ClassVar[CaseKind]

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_PHONE: _ClassVar[Channel]
    CHANNEL_WEB: _ClassVar[Channel]
    CHANNEL_WECHAT: _ClassVar[Channel]
    CHANNEL_APP: _ClassVar[Channel]
    CHANNEL_LETTER: _ClassVar[Channel]
    CHANNEL_VISIT: _ClassVar[Channel]
    CHANNEL_WEIBO: _ClassVar[Channel]
    CHANNEL_PUBLIC_SUGGESTION: _ClassVar[Channel]
    CHANNEL_REFERRAL: _ClassVar[Channel]

class RequestType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REQUEST_TYPE_UNSPECIFIED: _ClassVar[RequestType]
    REQUEST_TYPE_INQUIRY: _ClassVar[RequestType]
    REQUEST_TYPE_HELP: _ClassVar[RequestType]
    REQUEST_TYPE_COMPLAINT: _ClassVar[RequestType]
    REQUEST_TYPE_REPORT: _ClassVar[RequestType]
    REQUEST_TYPE_SUGGESTION: _ClassVar[RequestType]
    REQUEST_TYPE_PRAISE: _ClassVar[RequestType]
    REQUEST_TYPE_OTHER: _ClassVar[RequestType]

class Urgency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    URGENCY_UNSPECIFIED: _ClassVar[Urgency]
    URGENCY_NORMAL: _ClassVar[Urgency]
    URGENCY_URGENT: _ClassVar[Urgency]
    URGENCY_CRITICAL: _ClassVar[Urgency]

class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATUS_UNSPECIFIED: _ClassVar[Status]
    STATUS_REGISTERED: _ClassVar[Status]
    STATUS_DISPATCHED: _ClassVar[Status]
    STATUS_REFERRED: _ClassVar[Status]
    STATUS_RECEIVED: _ClassVar[Status]
    STATUS_ACCEPTED: _ClassVar[Status]
    STATUS_NOT_ACCEPTED: _ClassVar[Status]
    STATUS_RETURNED: _ClassVar[Status]
    STATUS_IN_PROGRESS: _ClassVar[Status]
    STATUS_REPLIED: _ClassVar[Status]
    STATUS_EVALUATED: _ClassVar[Status]
    STATUS_CLOSED: _ClassVar[Status]
    STATUS_REVIEW_REQUESTED: _ClassVar[Status]
    STATUS_REVIEWED: _ClassVar[Status]
    STATUS_RECHECK_REQUESTED: _ClassVar[Status]
    STATUS_RECHECKED: _ClassVar[Status]
    STATUS_RETURN_DISPUTED: _ClassVar[Status]

class ReturnReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RETURN_REASON_UNSPECIFIED: _ClassVar[ReturnReason]
    RETURN_REASON_NOT_OURS: _ClassVar[ReturnReason]
    RETURN_REASON_WRONG_PLACE: _ClassVar[ReturnReason]
    RETURN_REASON_INCOMPLETE: _ClassVar[ReturnReason]
    RETURN_REASON_DUPLICATE: _ClassVar[ReturnReason]
    RETURN_REASON_OTHER: _ClassVar[ReturnReason]

class Closing(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLOSING_UNSPECIFIED: _ClassVar[Closing]
    CLOSING_HANDLED: _ClassVar[Closing]
    CLOSING_WITHDRAWN: _ClassVar[Closing]
    CLOSING_MERGED: _ClassVar[Closing]
    CLOSING_INFORMED: _ClassVar[Closing]
    CLOSING_FALSE_OR_MALICIOUS: _ClassVar[Closing]

class Procedure(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROCEDURE_UNSPECIFIED: _ClassVar[Procedure]
    PROCEDURE_ORDINARY: _ClassVar[Procedure]
    PROCEDURE_SIMPLE: _ClassVar[Procedure]
    PROCEDURE_LONG_RUNNING: _ClassVar[Procedure]

class IdType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ID_TYPE_UNSPECIFIED: _ClassVar[IdType]
    ID_TYPE_RESIDENT_ID: _ClassVar[IdType]
    ID_TYPE_PASSPORT: _ClassVar[IdType]
    ID_TYPE_HK_MACAO_PERMIT: _ClassVar[IdType]
    ID_TYPE_TAIWAN_PERMIT: _ClassVar[IdType]
    ID_TYPE_OTHER: _ClassVar[IdType]

class Crs(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CRS_UNSPECIFIED: _ClassVar[Crs]
    CRS_WGS84: _ClassVar[Crs]
    CRS_GCJ02: _ClassVar[Crs]
    CRS_BD09: _ClassVar[Crs]
    CRS_CGCS2000: _ClassVar[Crs]

class Satisfaction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SATISFACTION_UNSPECIFIED: _ClassVar[Satisfaction]
    SATISFACTION_SATISFIED: _ClassVar[Satisfaction]
    SATISFACTION_BASICALLY_SATISFIED: _ClassVar[Satisfaction]
    SATISFACTION_UNSATISFIED: _ClassVar[Satisfaction]

class PetitionForm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PETITION_FORM_UNSPECIFIED: _ClassVar[PetitionForm]
    PETITION_FORM_LETTER: _ClassVar[PetitionForm]
    PETITION_FORM_VISIT: _ClassVar[PetitionForm]
    PETITION_FORM_ONLINE: _ClassVar[PetitionForm]
    PETITION_FORM_HOTLINE_TRANSFER: _ClassVar[PetitionForm]

class PetitionPurpose(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PETITION_PURPOSE_UNSPECIFIED: _ClassVar[PetitionPurpose]
    PETITION_PURPOSE_RESOLUTION: _ClassVar[PetitionPurpose]
    PETITION_PURPOSE_ACCUSATION: _ClassVar[PetitionPurpose]
    PETITION_PURPOSE_OPINION: _ClassVar[PetitionPurpose]
    PETITION_PURPOSE_OTHER: _ClassVar[PetitionPurpose]

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    EVENT_TYPE_NOTE: _ClassVar[EventType]
    EVENT_TYPE_URGING: _ClassVar[EventType]
    EVENT_TYPE_SUPERVISION: _ClassVar[EventType]
    EVENT_TYPE_EXTENSION: _ClassVar[EventType]
    EVENT_TYPE_REPLY_DELIVERED: _ClassVar[EventType]
    EVENT_TYPE_HEARING_STARTED: _ClassVar[EventType]
    EVENT_TYPE_HEARING_ENDED: _ClassVar[EventType]
JURISDICTION_UNSPECIFIED: Jurisdiction
JURISDICTION_BEIJING: Jurisdiction
JURISDICTION_TIANJIN: Jurisdiction
JURISDICTION_HEBEI: Jurisdiction
CASE_KIND_UNSPECIFIED: CaseKind
CASE_KIND_HOTLINE_REQUEST: CaseKind
CASE_KIND_PETITION: CaseKind
CHANNEL_UNSPECIFIED: Channel
CHANNEL_PHONE: Channel
CHANNEL_WEB: Channel
CHANNEL_WECHAT: Channel
CHANNEL_APP: Channel
CHANNEL_LETTER: Channel
CHANNEL_VISIT: Channel
CHANNEL_WEIBO: Channel
CHANNEL_PUBLIC_SUGGESTION: Channel
CHANNEL_REFERRAL: Channel
REQUEST_TYPE_UNSPECIFIED: RequestType
REQUEST_TYPE_INQUIRY: RequestType
REQUEST_TYPE_HELP: RequestType
REQUEST_TYPE_COMPLAINT: RequestType
REQUEST_TYPE_REPORT: RequestType
REQUEST_TYPE_SUGGESTION: RequestType
REQUEST_TYPE_PRAISE: RequestType
REQUEST_TYPE_OTHER: RequestType
URGENCY_UNSPECIFIED: Urgency
URGENCY_NORMAL: Urgency
URGENCY_URGENT: Urgency
URGENCY_CRITICAL: Urgency
STATUS_UNSPECIFIED: Status
STATUS_REGISTERED: Status
STATUS_DISPATCHED: Status
STATUS_REFERRED: Status
STATUS_RECEIVED: Status
STATUS_ACCEPTED: Status
STATUS_NOT_ACCEPTED: Status
STATUS_RETURNED: Status
STATUS_IN_PROGRESS: Status
STATUS_REPLIED: Status
STATUS_EVALUATED: Status
STATUS_CLOSED: Status
STATUS_REVIEW_REQUESTED: Status
STATUS_REVIEWED: Status
STATUS_RECHECK_REQUESTED: Status
STATUS_RECHECKED: Status
STATUS_RETURN_DISPUTED: Status
RETURN_REASON_UNSPECIFIED: ReturnReason
RETURN_REASON_NOT_OURS: ReturnReason
RETURN_REASON_WRONG_PLACE: ReturnReason
RETURN_REASON_INCOMPLETE: ReturnReason
RETURN_REASON_DUPLICATE: ReturnReason
RETURN_REASON_OTHER: ReturnReason
CLOSING_UNSPECIFIED: Closing
CLOSING_HANDLED: Closing
CLOSING_WITHDRAWN: Closing
CLOSING_MERGED: Closing
CLOSING_INFORMED: Closing
CLOSING_FALSE_OR_MALICIOUS: Closing
PROCEDURE_UNSPECIFIED: Procedure
PROCEDURE_ORDINARY: Procedure
PROCEDURE_SIMPLE: Procedure
PROCEDURE_LONG_RUNNING: Procedure
ID_TYPE_UNSPECIFIED: IdType
ID_TYPE_RESIDENT_ID: IdType
ID_TYPE_PASSPORT: IdType
ID_TYPE_HK_MACAO_PERMIT: IdType
ID_TYPE_TAIWAN_PERMIT: IdType
ID_TYPE_OTHER: IdType
CRS_UNSPECIFIED: Crs
CRS_WGS84: Crs
CRS_GCJ02: Crs
CRS_BD09: Crs
CRS_CGCS2000: Crs
SATISFACTION_UNSPECIFIED: Satisfaction
SATISFACTION_SATISFIED: Satisfaction
SATISFACTION_BASICALLY_SATISFIED: Satisfaction
SATISFACTION_UNSATISFIED: Satisfaction
PETITION_FORM_UNSPECIFIED: PetitionForm
PETITION_FORM_LETTER: PetitionForm
PETITION_FORM_VISIT: PetitionForm
PETITION_FORM_ONLINE: PetitionForm
PETITION_FORM_HOTLINE_TRANSFER: PetitionForm
PETITION_PURPOSE_UNSPECIFIED: PetitionPurpose
PETITION_PURPOSE_RESOLUTION: PetitionPurpose
PETITION_PURPOSE_ACCUSATION: PetitionPurpose
PETITION_PURPOSE_OPINION: PetitionPurpose
PETITION_PURPOSE_OTHER: PetitionPurpose
EVENT_TYPE_UNSPECIFIED: EventType
EVENT_TYPE_NOTE: EventType
EVENT_TYPE_URGING: EventType
EVENT_TYPE_SUPERVISION: EventType
EVENT_TYPE_EXTENSION: EventType
EVENT_TYPE_REPLY_DELIVERED: EventType
EVENT_TYPE_HEARING_STARTED: EventType
EVENT_TYPE_HEARING_ENDED: EventType

class Party(_message.Message):
    __slots__ = ("name", "id_type", "id_number", "phone", "anonymous")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    ANONYMOUS_FIELD_NUMBER: _ClassVar[int]
    name: str
    id_type: IdType
    id_number: str
    phone: str
    anonymous: bool
    def __init__(self, name: _Optional[str] = ..., id_type: _Optional[_Union[IdType, str]] = ..., id_number: _Optional[str] = ..., phone: _Optional[str] = ..., anonymous: _Optional[bool] = ...) -> None: ...

class Point(_message.Message):
    __slots__ = ("latitude", "longitude")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ...) -> None: ...

class Location(_message.Message):
    __slots__ = ("admin_code", "street_code", "address", "point", "source_crs")
    ADMIN_CODE_FIELD_NUMBER: _ClassVar[int]
    STREET_CODE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    POINT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CRS_FIELD_NUMBER: _ClassVar[int]
    admin_code: str
    street_code: str
    address: str
    point: Point
    source_crs: Crs
    def __init__(self, admin_code: _Optional[str] = ..., street_code: _Optional[str] = ..., address: _Optional[str] = ..., point: _Optional[_Union[Point, _Mapping]] = ..., source_crs: _Optional[_Union[Crs, str]] = ...) -> None: ...

class Category(_message.Message):
    __slots__ = ("code", "source_code", "source_name", "source_scheme")
    CODE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CODE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SCHEME_FIELD_NUMBER: _ClassVar[int]
    code: str
    source_code: str
    source_name: str
    source_scheme: str
    def __init__(self, code: _Optional[str] = ..., source_code: _Optional[str] = ..., source_name: _Optional[str] = ..., source_scheme: _Optional[str] = ...) -> None: ...

class Unit(_message.Message):
    __slots__ = ("code", "name", "role")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    role: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class DeadlineExtension(_message.Message):
    __slots__ = ("step", "amount")
    STEP_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    step: str
    amount: int
    def __init__(self, step: _Optional[str] = ..., amount: _Optional[int] = ...) -> None: ...

class CoordinationDecision(_message.Message):
    __slots__ = ("body", "return_upheld", "decision", "decided_at")
    BODY_FIELD_NUMBER: _ClassVar[int]
    RETURN_UPHELD_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    body: str
    return_upheld: bool
    decision: str
    decided_at: _timestamp_pb2.Timestamp
    def __init__(self, body: _Optional[str] = ..., return_upheld: _Optional[bool] = ..., decision: _Optional[str] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("at", "action", "actor", "note", "type", "extension")
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    EXTENSION_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    action: str
    actor: str
    note: str
    type: EventType
    extension: DeadlineExtension
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., action: _Optional[str] = ..., actor: _Optional[str] = ..., note: _Optional[str] = ..., type: _Optional[_Union[EventType, str]] = ..., extension: _Optional[_Union[DeadlineExtension, _Mapping]] = ...) -> None: ...

class Feedback(_message.Message):
    __slots__ = ("contacted", "resolved", "satisfaction")
    CONTACTED_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    SATISFACTION_FIELD_NUMBER: _ClassVar[int]
    contacted: bool
    resolved: bool
    satisfaction: Satisfaction
    def __init__(self, contacted: _Optional[bool] = ..., resolved: _Optional[bool] = ..., satisfaction: _Optional[_Union[Satisfaction, str]] = ...) -> None: ...

class Attachment(_message.Message):
    __slots__ = ("name", "media_type", "size_bytes", "sha256", "uri")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    name: str
    media_type: str
    size_bytes: int
    sha256: str
    uri: str
    def __init__(self, name: _Optional[str] = ..., media_type: _Optional[str] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ..., uri: _Optional[str] = ...) -> None: ...

class PetitionDetails(_message.Message):
    __slots__ = ("form", "participants", "bypassed_level", "repeat", "first_time", "purpose")
    FORM_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANTS_FIELD_NUMBER: _ClassVar[int]
    BYPASSED_LEVEL_FIELD_NUMBER: _ClassVar[int]
    REPEAT_FIELD_NUMBER: _ClassVar[int]
    FIRST_TIME_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    form: PetitionForm
    participants: int
    bypassed_level: bool
    repeat: bool
    first_time: bool
    purpose: PetitionPurpose
    def __init__(self, form: _Optional[_Union[PetitionForm, str]] = ..., participants: _Optional[int] = ..., bypassed_level: _Optional[bool] = ..., repeat: _Optional[bool] = ..., first_time: _Optional[bool] = ..., purpose: _Optional[_Union[PetitionPurpose, str]] = ...) -> None: ...

class Provenance(_message.Message):
    __slots__ = ("source_schema", "source_version", "adapter_version", "document_sha256", "mapped_at")
    SOURCE_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    SOURCE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_VERSION_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_SHA256_FIELD_NUMBER: _ClassVar[int]
    MAPPED_AT_FIELD_NUMBER: _ClassVar[int]
    source_schema: str
    source_version: str
    adapter_version: str
    document_sha256: str
    mapped_at: _timestamp_pb2.Timestamp
    def __init__(self, source_schema: _Optional[str] = ..., source_version: _Optional[str] = ..., adapter_version: _Optional[str] = ..., document_sha256: _Optional[str] = ..., mapped_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Case(_message.Message):
    __slots__ = ("case_id", "origin", "native_id", "kind", "channel", "request_type", "title", "content", "requester", "location", "category", "urgency", "received_at", "due_at", "status", "handlers", "history", "feedback", "attachments", "petition", "extensions", "quality_flags", "provenance", "procedure", "litigation_related", "co_handlers")
    class ExtensionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    NATIVE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_TYPE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    HANDLERS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    ATTACHMENTS_FIELD_NUMBER: _ClassVar[int]
    PETITION_FIELD_NUMBER: _ClassVar[int]
    EXTENSIONS_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FLAGS_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_FIELD_NUMBER: _ClassVar[int]
    LITIGATION_RELATED_FIELD_NUMBER: _ClassVar[int]
    CO_HANDLERS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    origin: Jurisdiction
    native_id: str
    kind: CaseKind
    channel: Channel
    request_type: RequestType
    title: str
    content: str
    requester: Party
    location: Location
    category: Category
    urgency: Urgency
    received_at: _timestamp_pb2.Timestamp
    due_at: _timestamp_pb2.Timestamp
    status: Status
    handlers: _containers.RepeatedCompositeFieldContainer[Unit]
    history: _containers.RepeatedCompositeFieldContainer[Event]
    feedback: Feedback
    attachments: _containers.RepeatedCompositeFieldContainer[Attachment]
    petition: PetitionDetails
    extensions: _containers.ScalarMap[str, str]
    quality_flags: _containers.RepeatedScalarFieldContainer[str]
    provenance: Provenance
    procedure: Procedure
    litigation_related: bool
    co_handlers: _containers.RepeatedScalarFieldContainer[Jurisdiction]
    def __init__(self, case_id: _Optional[str] = ..., origin: _Optional[_Union[Jurisdiction, str]] = ..., native_id: _Optional[str] = ..., kind: _Optional[_Union[CaseKind, str]] = ..., channel: _Optional[_Union[Channel, str]] = ..., request_type: _Optional[_Union[RequestType, str]] = ..., title: _Optional[str] = ..., content: _Optional[str] = ..., requester: _Optional[_Union[Party, _Mapping]] = ..., location: _Optional[_Union[Location, _Mapping]] = ..., category: _Optional[_Union[Category, _Mapping]] = ..., urgency: _Optional[_Union[Urgency, str]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[Status, str]] = ..., handlers: _Optional[_Iterable[_Union[Unit, _Mapping]]] = ..., history: _Optional[_Iterable[_Union[Event, _Mapping]]] = ..., feedback: _Optional[_Union[Feedback, _Mapping]] = ..., attachments: _Optional[_Iterable[_Union[Attachment, _Mapping]]] = ..., petition: _Optional[_Union[PetitionDetails, _Mapping]] = ..., extensions: _Optional[_Mapping[str, str]] = ..., quality_flags: _Optional[_Iterable[str]] = ..., provenance: _Optional[_Union[Provenance, _Mapping]] = ..., procedure: _Optional[_Union[Procedure, str]] = ..., litigation_related: _Optional[bool] = ..., co_handlers: _Optional[_Iterable[_Union[Jurisdiction, str]]] = ...) -> None: ...
