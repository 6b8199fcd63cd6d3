"""The one decorator every servicer method wears: any exception becomes a rich status.

Unary and server-streaming methods alike; the table is kernel/rpc/status.py. A servicer
may give `log_context` (a dict) to bind to every log line of its calls.
"""

from __future__ import annotations

import functools
import inspect
import uuid

import grpc
import structlog

from kernel.observability import metrics
from kernel.rpc.status import answer_for, status_for

log = structlog.get_logger(__name__)
TRANSLATED = "__translates_errors__"


async def abort_for(context: grpc.aio.ServicerContext, error: Exception, rpc: str, jurisdiction: str = "") -> None:
    answer = answer_for(error)
    metrics.record_rejection(jurisdiction, answer.reason)
    correlation_id = ""
    if answer.internal:
        correlation_id = uuid.uuid4().hex
        log.error("rpc_failed", rpc=rpc, code=answer.code.name, reason=answer.reason, correlation_id=correlation_id,
                  exc_info=error)
    else:
        # The message is the member's to read; it is not logged (it may quote a submitted value).
        log.info("rpc_refused", rpc=rpc, code=answer.code.name, reason=answer.reason, error=type(error).__name__)
    await context.abort_with_status(status_for(error, correlation_id=correlation_id))


def translate_errors(method):
    rpc = method.__name__

    def bind(servicer) -> None:
        structlog.contextvars.bind_contextvars(rpc=rpc, **getattr(servicer, "log_context", {}))

    def unbind(servicer) -> None:
        structlog.contextvars.unbind_contextvars("rpc", *getattr(servicer, "log_context", {}))

    if inspect.isasyncgenfunction(method):
        @functools.wraps(method)
        async def streaming(self, request, context):
            bind(self)
            try:
                async for response in method(self, request, context):
                    yield response
            except grpc.aio.AbortError:
                raise
            except Exception as error:
                await abort_for(context, error, rpc, getattr(self, "log_context", {}).get("jurisdiction", ""))
            finally:
                unbind(self)

        setattr(streaming, TRANSLATED, True)
        return streaming

    @functools.wraps(method)
    async def unary(self, request, context):
        bind(self)
        try:
            return await method(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as error:
            await abort_for(context, error, rpc, getattr(self, "log_context", {}).get("jurisdiction", ""))
        finally:
            unbind(self)

    setattr(unary, TRANSLATED, True)
    return unary
