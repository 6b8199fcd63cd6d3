"""Access denied by default: only registered member systems call an adapter (系统备案).

mTLS has already checked that the caller's certificate is signed by the
federation's CA and valid; this interceptor checks that the certificate (by its
SHA-256 fingerprint) is registered, not revoked, and registered for this
adapter's jurisdiction, and refuses anything else with PERMISSION_DENIED and an
ErrorInfo reason. Health checks are exempt (the supervisor and load balancers
probe them with their own certificates; they reveal nothing).
"""

from __future__ import annotations

import functools
import hashlib
import ssl

import grpc
import structlog

from kernel.rpc.status import rich_status
from kernel.security.registry import MemberSystem, RegistryView

log = structlog.get_logger(__name__)
EXEMPT_PREFIXES = ("/grpc.health.v1.Health/",)
NOT_REGISTERED = "MEMBER_SYSTEM_NOT_REGISTERED"
REVOKED = "MEMBER_SYSTEM_REVOKED"


@functools.lru_cache(maxsize=256)
def _fingerprint_of_pem(pem: bytes) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem.decode("ascii"))).hexdigest()


def peer_fingerprint(context: grpc.aio.ServicerContext) -> str | None:
    certificates = (context.auth_context() or {}).get("x509_pem_cert") or []
    return _fingerprint_of_pem(certificates[0]) if certificates else None


class MemberSystemGate(grpc.aio.ServerInterceptor):
    """`jurisdiction` is the adapter's; None admits any active registered system (the gateway)."""

    def __init__(self, registry: RegistryView, jurisdiction: str | None) -> None:
        self.registry = registry
        self.jurisdiction = jurisdiction

    def refusal(self, fingerprint: str | None) -> tuple[str, str] | None:
        """(reason, message) when the caller may not call, None when it may. Pure apart from the registry."""
        system: MemberSystem | None = self.registry.lookup(fingerprint) if fingerprint else None
        if system is None:
            return NOT_REGISTERED, "this client certificate is not registered as a member system (系统备案)"
        if not system.active:
            return REVOKED, f"member system {system.name} was revoked at {system.revoked_at}"
        if self.jurisdiction is not None and system.jurisdiction != self.jurisdiction:
            return NOT_REGISTERED, f"member system {system.name} is registered for {system.jurisdiction}, not {self.jurisdiction}"
        return None

    async def _admit(self, context: grpc.aio.ServicerContext, method: str) -> None:
        fingerprint = peer_fingerprint(context)
        refused = self.refusal(fingerprint)
        if refused is None:
            return
        reason, message = refused
        log.warning("member_system_refused", method=method, reason=reason, sha256=fingerprint or "")
        await context.abort_with_status(rich_status(grpc.StatusCode.PERMISSION_DENIED, message, reason=reason,
                                                    metadata={"sha256": fingerprint or ""}))

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(EXEMPT_PREFIXES):
            return handler
        return _guarded(handler, functools.partial(self._admit, method=method))


def _guarded(handler: grpc.RpcMethodHandler, admit) -> grpc.RpcMethodHandler:
    """The same handler, admitting the caller before its behaviour runs."""
    serializers = {"request_deserializer": handler.request_deserializer, "response_serializer": handler.response_serializer}
    if handler.unary_unary:
        async def unary_unary(request, context):
            await admit(context)
            return await handler.unary_unary(request, context)
        return grpc.unary_unary_rpc_method_handler(unary_unary, **serializers)
    if handler.unary_stream:
        async def unary_stream(request, context):
            await admit(context)
            async for response in handler.unary_stream(request, context):
                yield response
        return grpc.unary_stream_rpc_method_handler(unary_stream, **serializers)
    if handler.stream_unary:
        async def stream_unary(requests, context):
            await admit(context)
            return await handler.stream_unary(requests, context)
        return grpc.stream_unary_rpc_method_handler(stream_unary, **serializers)
    async def stream_stream(requests, context):
        await admit(context)
        async for response in handler.stream_stream(requests, context):
            yield response
    return grpc.stream_stream_rpc_method_handler(stream_stream, **serializers)
