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

class MeasurePeriod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEASURE_PERIOD_UNSPECIFIED: _ClassVar[MeasurePeriod]
    MEASURE_PERIOD_DAY: _ClassVar[MeasurePeriod]
    MEASURE_PERIOD_WEEK: _ClassVar[MeasurePeriod]
    MEASURE_PERIOD_MONTH: _ClassVar[MeasurePeriod]

class MeasureGrouping(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEASURE_GROUPING_UNSPECIFIED: _ClassVar[MeasureGrouping]
    MEASURE_GROUPING_JURISDICTION: _ClassVar[MeasureGrouping]
    MEASURE_GROUPING_PAIR: _ClassVar[MeasureGrouping]
MEASURE_PERIOD_UNSPECIFIED: MeasurePeriod
MEASURE_PERIOD_DAY: MeasurePeriod
MEASURE_PERIOD_WEEK: MeasurePeriod
MEASURE_PERIOD_MONTH: MeasurePeriod
MEASURE_GROUPING_UNSPECIFIED: MeasureGrouping
MEASURE_GROUPING_JURISDICTION: MeasureGrouping
MEASURE_GROUPING_PAIR: MeasureGrouping

class TrailEntry(_message.Message):
    __slots__ = ("at", "flow", "sender", "destination", "status", "actor", "note", "sequence", "envelope_id", "event_type")
    AT_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    flow: _envelope_pb2.Flow
    sender: _case_pb2.Jurisdiction
    destination: _case_pb2.Jurisdiction
    status: _case_pb2.Status
    actor: str
    note: str
    sequence: int
    envelope_id: str
    event_type: _case_pb2.EventType
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., flow: _Optional[_Union[_envelope_pb2.Flow, str]] = ..., sender: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., destination: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., status: _Optional[_Union[_case_pb2.Status, str]] = ..., actor: _Optional[str] = ..., note: _Optional[str] = ..., sequence: _Optional[int] = ..., envelope_id: _Optional[str] = ..., event_type: _Optional[_Union[_case_pb2.EventType, str]] = ...) -> None: ...

class CaseRecord(_message.Message):
    __slots__ = ("case_id", "origin", "holder", "native_id", "status", "flow", "referred_at", "updated_at", "due_at", "sequence")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    NATIVE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    REFERRED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    origin: _case_pb2.Jurisdiction
    holder: _case_pb2.Jurisdiction
    native_id: str
    status: _case_pb2.Status
    flow: _envelope_pb2.Flow
    referred_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    due_at: _timestamp_pb2.Timestamp
    sequence: int
    def __init__(self, case_id: _Optional[str] = ..., origin: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., holder: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., native_id: _Optional[str] = ..., status: _Optional[_Union[_case_pb2.Status, str]] = ..., flow: _Optional[_Union[_envelope_pb2.Flow, str]] = ..., referred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sequence: _Optional[int] = ...) -> None: ...

class GetCaseTrailRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class GetCaseTrailResponse(_message.Message):
    __slots__ = ("record", "trail")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    TRAIL_FIELD_NUMBER: _ClassVar[int]
    record: CaseRecord
    trail: _containers.RepeatedCompositeFieldContainer[TrailEntry]
    def __init__(self, record: _Optional[_Union[CaseRecord, _Mapping]] = ..., trail: _Optional[_Iterable[_Union[TrailEntry, _Mapping]]] = ...) -> None: ...

class ListCasesRequest(_message.Message):
    __slots__ = ("native_id", "origin", "holder", "due_before", "day", "page_size", "page_token")
    NATIVE_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    DUE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    native_id: str
    origin: _case_pb2.Jurisdiction
    holder: _case_pb2.Jurisdiction
    due_before: _timestamp_pb2.Timestamp
    day: str
    page_size: int
    page_token: str
    def __init__(self, native_id: _Optional[str] = ..., origin: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., holder: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., due_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., day: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCasesResponse(_message.Message):
    __slots__ = ("records", "next_page_token")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[CaseRecord]
    next_page_token: str
    def __init__(self, records: _Optional[_Iterable[_Union[CaseRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PairStatistics(_message.Message):
    __slots__ = ("sender", "destination", "day", "referrals", "hotline_transfers", "status_updates", "received", "returned", "lag_p50_ms", "lag_max_ms", "signed_in_time", "overdue", "followed_up", "contacted", "resolved", "satisfied", "rated", "response_rate", "resolution_rate", "satisfaction_rate", "replied", "not_evaluated_in_time")
    SENDER_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    REFERRALS_FIELD_NUMBER: _ClassVar[int]
    HOTLINE_TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    STATUS_UPDATES_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_FIELD_NUMBER: _ClassVar[int]
    RETURNED_FIELD_NUMBER: _ClassVar[int]
    LAG_P50_MS_FIELD_NUMBER: _ClassVar[int]
    LAG_MAX_MS_FIELD_NUMBER: _ClassVar[int]
    SIGNED_IN_TIME_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    FOLLOWED_UP_FIELD_NUMBER: _ClassVar[int]
    CONTACTED_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    SATISFIED_FIELD_NUMBER: _ClassVar[int]
    RATED_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_RATE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_RATE_FIELD_NUMBER: _ClassVar[int]
    SATISFACTION_RATE_FIELD_NUMBER: _ClassVar[int]
    REPLIED_FIELD_NUMBER: _ClassVar[int]
    NOT_EVALUATED_IN_TIME_FIELD_NUMBER: _ClassVar[int]
    sender: _case_pb2.Jurisdiction
    destination: _case_pb2.Jurisdiction
    day: str
    referrals: int
    hotline_transfers: int
    status_updates: int
    received: int
    returned: int
    lag_p50_ms: float
    lag_max_ms: float
    signed_in_time: int
    overdue: int
    followed_up: int
    contacted: int
    resolved: int
    satisfied: int
    rated: int
    response_rate: float
    resolution_rate: float
    satisfaction_rate: float
    replied: int
    not_evaluated_in_time: int
    def __init__(self, sender: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., destination: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., day: _Optional[str] = ..., referrals: _Optional[int] = ..., hotline_transfers: _Optional[int] = ..., status_updates: _Optional[int] = ..., received: _Optional[int] = ..., returned: _Optional[int] = ..., lag_p50_ms: _Optional[float] = ..., lag_max_ms: _Optional[float] = ..., signed_in_time: _Optional[int] = ..., overdue: _Optional[int] = ..., followed_up: _Optional[int] = ..., contacted: _Optional[int] = ..., resolved: _Optional[int] = ..., satisfied: _Optional[int] = ..., rated: _Optional[int] = ..., response_rate: _Optional[float] = ..., resolution_rate: _Optional[float] = ..., satisfaction_rate: _Optional[float] = ..., replied: _Optional[int] = ..., not_evaluated_in_time: _Optional[int] = ...) -> None: ...

class GetRelayStatisticsRequest(_message.Message):
    __slots__ = ("day",)
    DAY_FIELD_NUMBER: _ClassVar[int]
    day: str
    def __init__(self, day: _Optional[str] = ...) -> None: ...

class GetRelayStatisticsResponse(_message.Message):
    __slots__ = ("pairs",)
    PAIRS_FIELD_NUMBER: _ClassVar[int]
    pairs: _containers.RepeatedCompositeFieldContainer[PairStatistics]
    def __init__(self, pairs: _Optional[_Iterable[_Union[PairStatistics, _Mapping]]] = ...) -> None: ...

class MeasureValue(_message.Message):
    __slots__ = ("measure", "label", "step", "numerator", "denominator", "value")
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    NUMERATOR_FIELD_NUMBER: _ClassVar[int]
    DENOMINATOR_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    measure: str
    label: str
    step: str
    numerator: float
    denominator: float
    value: float
    def __init__(self, measure: _Optional[str] = ..., label: _Optional[str] = ..., step: _Optional[str] = ..., numerator: _Optional[float] = ..., denominator: _Optional[float] = ..., value: _Optional[float] = ...) -> None: ...

class MeasureRow(_message.Message):
    __slots__ = ("period", "jurisdiction", "origin", "holder", "values")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    period: str
    jurisdiction: _case_pb2.Jurisdiction
    origin: _case_pb2.Jurisdiction
    holder: _case_pb2.Jurisdiction
    values: _containers.RepeatedCompositeFieldContainer[MeasureValue]
    def __init__(self, period: _Optional[str] = ..., jurisdiction: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., origin: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., holder: _Optional[_Union[_case_pb2.Jurisdiction, str]] = ..., values: _Optional[_Iterable[_Union[MeasureValue, _Mapping]]] = ...) -> None: ...

class GetMeasuresRequest(_message.Message):
    __slots__ = ("period", "grouping", "period_key", "report", "measures")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    GROUPING_FIELD_NUMBER: _ClassVar[int]
    PERIOD_KEY_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    MEASURES_FIELD_NUMBER: _ClassVar[int]
    period: MeasurePeriod
    grouping: MeasureGrouping
    period_key: str
    report: str
    measures: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, period: _Optional[_Union[MeasurePeriod, str]] = ..., grouping: _Optional[_Union[MeasureGrouping, str]] = ..., period_key: _Optional[str] = ..., report: _Optional[str] = ..., measures: _Optional[_Iterable[str]] = ...) -> None: ...

class GetMeasuresResponse(_message.Message):
    __slots__ = ("rows",)
    ROWS_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[MeasureRow]
    def __init__(self, rows: _Optional[_Iterable[_Union[MeasureRow, _Mapping]]] = ...) -> None: ...
