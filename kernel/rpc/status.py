"""gRPC errors as google.rpc.Status with details (AIP-193)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

DOMAIN = "jjj-exchange"


def rich_status(
    code: grpc.StatusCode,
    message: str,
    *,
    reason: str = "",
    metadata: dict[str, str] | None = None,
    field_violations: Iterable[tuple[str, str]] = (),
) -> grpc.Status:
    details: list[any_pb2.Any] = []
    if reason:
        packed = any_pb2.Any()
        packed.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=DOMAIN, metadata=metadata or {}))
        details.append(packed)
    violations = [error_details_pb2.BadRequest.FieldViolation(field=f, description=d) for f, d in field_violations]
    if violations:
        packed = any_pb2.Any()
        packed.Pack(error_details_pb2.BadRequest(field_violations=violations))
        details.append(packed)
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=message, details=details)
    return rpc_status.to_status(status)


async def abort(context: grpc.aio.ServicerContext, code: grpc.StatusCode, message: str, **kwargs) -> NoReturn:
    await context.abort_with_status(rich_status(code, message, **kwargs))
    raise AssertionError("abort_with_status returned")
