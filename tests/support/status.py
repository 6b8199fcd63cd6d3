"""Reading a google.rpc.Status back: its code, ErrorInfo, field violations and RetryInfo."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status


@dataclass
class Answered:
    code: grpc.StatusCode
    message: str
    error_info: error_details_pb2.ErrorInfo | None
    violations: list[tuple[str, str]]
    retry_delay: float | None
    detail_types: list[str]


def _code(value: int) -> grpc.StatusCode:
    return grpc.StatusCode[code_pb2.Code.Name(value)]


def parse(status: status_pb2.Status) -> Answered:
    info, violations, delay, types = None, [], None, []
    for detail in status.details:
        types.append(detail.TypeName())
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations = [(v.field, v.description) for v in bad.field_violations]
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            delay = retry.retry_delay.ToNanoseconds() / 1e9
    return Answered(_code(status.code), status.message, info, violations, delay, types)


def from_status(status: grpc.Status) -> Answered:
    """A grpc.Status as a servicer aborts with it (the details travel in the trailing metadata)."""
    (blob,) = [value for key, value in status.trailing_metadata if key == rpc_status.GRPC_DETAILS_METADATA_KEY]
    answered = parse(status_pb2.Status.FromString(blob))
    assert answered.code == status.code and answered.message == status.details
    return answered


def from_call(error: grpc.aio.AioRpcError) -> Answered:
    """What a member's client reads from a failed call; fails if the answer carries no rich status."""
    status = rpc_status.from_call(error)
    assert status is not None, f"{error.code().name} without google.rpc.Status details: {error.details()}"
    answered = parse(status)
    assert answered.code == error.code()
    return answered
