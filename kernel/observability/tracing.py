"""W3C trace context through gRPC metadata and NATS headers; finished spans as JSON lines.

One referral is one trace: the member's `traceparent` (gRPC metadata) is continued by the
sending adapter's SubmitDocument span, goes on the bus in the envelope's NATS headers
(publish in kernel.bus.jetstream injects the current context), and the receiving adapter's
delivery and acknowledgement spans and the gateway's projection continue it from there.

Each process (`adapter-<jurisdiction>`, `gateway`) has its own tracer provider, so
processes started in one interpreter (tests) still write their own file:
`<data_dir>/traces/<process>.jsonl`, rotated at `max_bytes` (one older file kept,
`.jsonl.1`). A process that never configured tracing gets OpenTelemetry's no-op tracer:
spans cost nothing and nothing is injected.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from opentelemetry import context as otel_context, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider, sampling
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.status import Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
_PROPAGATOR = TraceContextTextMapPropagator()
_PROVIDERS: dict[str, TracerProvider] = {}
# The tracer of each provider, made once: get_tracer builds a new one (and its scope) at every call.
_TRACERS: dict[int, trace.Tracer] = {}
_PATHS: dict[str, Path] = {}
# Each provider's one span processor, which instant spans are handed to directly (see instant_span).
_PROCESSORS: dict[str, BatchSpanProcessor] = {}
_SPAN_IDS = RandomIdGenerator()
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_LOCK = threading.Lock()


# -- propagation --------------------------------------------------------------------------

def _carrier(pairs: Iterable[tuple[str, object]]) -> dict[str, str]:
    # gRPC metadata keys are lower-case already; NATS header names are case-sensitive on the wire.
    return {str(key).lower(): value for key, value in pairs if isinstance(value, str)}


def context_from_metadata(metadata: Sequence[tuple[str, object]] | None) -> Context:
    """The caller's trace context from gRPC invocation metadata (an empty context when it sent none)."""
    return _PROPAGATOR.extract(_carrier(metadata or ()))


def context_from_headers(headers: Mapping[str, str] | None) -> Context:
    """The trace context a NATS message carries in its headers."""
    return _PROPAGATOR.extract(_carrier((headers or {}).items()))


def inject(headers: dict[str, str], context: Context | None = None) -> dict[str, str]:
    """Add `traceparent` (and `tracestate`) of `context` (default: the current span) to `headers`;
    nothing when there is no valid span."""
    _PROPAGATOR.inject(headers, context=context)
    return headers


def current_context() -> Context:
    """The current trace context, to carry to work another task does later (the outbox's relay)."""
    return otel_context.get_current()


@contextlib.contextmanager
def within(context: Context | None) -> Iterator[None]:
    """Run the block in `context` (a call's, carried over), or in whatever is current when None."""
    if context is None:
        yield
        return
    token = otel_context.attach(context)
    try:
        yield
    finally:
        otel_context.detach(token)


def metadata_for(context: Context | None = None) -> list[tuple[str, str]]:
    """gRPC metadata carrying `context` (what a member system sends)."""
    return list(inject({}, context).items())


def trace_id_of(context: Context) -> str:
    """The 32-hex trace id of a context, or "" when it holds no valid span."""
    span_context = trace.get_current_span(context).get_span_context()
    return trace.format_trace_id(span_context.trace_id) if span_context.is_valid else ""


def trace_id_of_headers(headers: Mapping[str, str] | None) -> str:
    return trace_id_of(context_from_headers(headers))


def current_trace_id() -> str:
    span_context = trace.get_current_span().get_span_context()
    return trace.format_trace_id(span_context.trace_id) if span_context.is_valid else ""


# -- export -------------------------------------------------------------------------------

def span_record(span: ReadableSpan, process: str) -> dict:
    context = span.context
    parent = span.parent
    return {
        "trace_id": trace.format_trace_id(context.trace_id),
        "span_id": trace.format_span_id(context.span_id),
        "parent_id": trace.format_span_id(parent.span_id) if parent is not None else None,
        "name": span.name,
        "process": process,
        "kind": span.kind.name if span.kind is not None else "",
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "duration_ms": round(((span.end_time or 0) - (span.start_time or 0)) / 1e6, 3),
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        "links": [trace.format_trace_id(link.context.trace_id) for link in span.links],
    }


class JsonLinesExporter(SpanExporter):
    """Finished spans, one JSON object a line; at `max_bytes` the file becomes `.1` (the older one goes)."""

    def __init__(self, path: Path, process: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = Path(path)
        self.process = process
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(span_record(span, self.process), ensure_ascii=False) + "\n" for span in spans)
        with self._lock:
            try:
                if self.path.exists() and self.path.stat().st_size + len(lines) > self.max_bytes:
                    self.path.replace(self.path.with_name(self.path.name + ".1"))
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(lines)
            except OSError:
                return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def traces_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "traces"


def configure(process: str, data_dir: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
              schedule_delay_millis: int = 1000) -> TracerProvider:
    """The tracer provider of `process`, exporting to <data_dir>/traces/<process>.jsonl (once per process name)."""
    path = traces_dir(data_dir) / f"{process}.jsonl"
    with _LOCK:
        provider = _PROVIDERS.get(process)
        if provider is not None and _PATHS.get(process) == path:
            return provider
        if provider is not None:  # the same process name for another data directory (tests in one interpreter)
            _TRACERS.pop(id(provider), None)
            provider.shutdown()
        provider = TracerProvider(resource=Resource.create({"service.name": f"jjj-{process}"}))
        exporter = JsonLinesExporter(path, process, max_bytes=max_bytes)
        processor = BatchSpanProcessor(exporter, schedule_delay_millis=schedule_delay_millis)
        provider.add_span_processor(processor)
        _PROVIDERS[process], _PATHS[process] = provider, path
        # Instant spans skip the sampler only where it would keep them anyway: the SDK's default (every span
        # under a sampled parent), unless OTEL_TRACES_SAMPLER chose another.
        if provider.sampler.get_description() == sampling.DEFAULT_ON.get_description():
            _PROCESSORS[process] = processor
        else:
            _PROCESSORS.pop(process, None)
        return provider


def flush(process: str | None = None, timeout_millis: int = 2000) -> None:
    """Write out what is buffered (tests; a stopping process), waiting at most `timeout_millis`."""
    for name, provider in list(_PROVIDERS.items()):
        if process is None or name == process:
            provider.force_flush(timeout_millis)


def shutdown(process: str) -> None:
    provider = _PROVIDERS.pop(process, None)
    _PATHS.pop(process, None)
    _PROCESSORS.pop(process, None)
    if provider is not None:
        _TRACERS.pop(id(provider), None)
        provider.shutdown()


def tracer(process: str) -> trace.Tracer:
    provider = _PROVIDERS.get(process)
    if provider is None:
        return trace.NoOpTracer()
    made = _TRACERS.get(id(provider))
    if made is None:
        made = _TRACERS[id(provider)] = provider.get_tracer("jjj")
    return made


# -- spans --------------------------------------------------------------------------------

class CallSpan(trace.NonRecordingSpan):
    """The current span of a call on the light path of `server_span`: its context (what children and the
    headers it injects continue) and its parent; the finished span is made when the call ends."""

    def __init__(self, context: SpanContext, parent: SpanContext | None) -> None:
        super().__init__(context)
        self.parent = parent


@contextlib.contextmanager
def server_span(process: str, name: str, metadata: Sequence[tuple[str, object]] | None,
                attributes: Mapping[str, str | int] | None = None) -> Iterator[trace.Span]:
    """A gRPC call's span, continuing the caller's traceparent (else a new trace), current while it runs.

    Where `instant_span` would hand its span over directly (the SDK's default sampler, tracing configured)
    and the caller's context is sampled or absent, the call runs under a `CallSpan` and its finished span
    goes to the span processor as the SDK would make it (name, ids, parent, kind, attributes, times, status
    ERROR with the exception's type and text when one goes through). Through the tracer a span cost 43 µs a
    call, this about 19 (docs/PERFORMANCE.md, sixteenth pass); a call's span is never given attributes or
    events while it runs, so nothing of what the SDK's live span offers is missed. Anything else goes
    through the tracer as before."""
    parent = context_from_metadata(metadata)
    processor = _PROCESSORS.get(process)
    parent_context = trace.get_current_span(parent).get_span_context()
    if processor is None or (parent_context.is_valid and not parent_context.trace_flags.sampled):
        with tracer(process).start_as_current_span(name, context=parent, kind=SpanKind.SERVER,
                                                   attributes=dict(attributes or {})) as span:
            yield span
        return
    if parent_context.is_valid:
        context = SpanContext(parent_context.trace_id, _SPAN_IDS.generate_span_id(), is_remote=False,
                              trace_flags=_SAMPLED, trace_state=parent_context.trace_state)
    else:
        context = SpanContext(_SPAN_IDS.generate_trace_id(), _SPAN_IDS.generate_span_id(), is_remote=False,
                              trace_flags=_SAMPLED)
        parent_context = None
    span = CallSpan(context, parent_context)
    status = Status(StatusCode.UNSET)
    start = time.time_ns()
    token = otel_context.attach(trace.set_span_in_context(span))
    try:
        yield span
    except Exception as error:  # as the SDK's use_span: an Exception, not a GeneratorExit or a cancellation
        status = Status(StatusCode.ERROR, f"{type(error).__name__}: {error}")
        raise
    finally:
        otel_context.detach(token)
        processor.on_end(ReadableSpan(name, context=context, parent=parent_context,
                                      resource=_PROVIDERS[process].resource, attributes=dict(attributes or {}),
                                      kind=SpanKind.SERVER, status=status, start_time=start, end_time=time.time_ns()))


@contextlib.contextmanager
def message_span(process: str, name: str, headers: Mapping[str, str] | None,
                 attributes: Mapping[str, str | int] | None = None, *,
                 link_metadata: Sequence[tuple[str, object]] | None = None,
                 parent: Context | None = None) -> Iterator[trace.Span]:
    """A span continuing the trace a bus message carries; `link_metadata` (a member's own traceparent
    on the call that handles the message) is linked, not followed, so the message's trace stays one.
    `parent`: the headers' context when the caller extracted it already (it is not extracted again)."""
    if parent is None:
        parent = context_from_headers(headers)
    links = []
    if link_metadata:
        linked = trace.get_current_span(context_from_metadata(link_metadata)).get_span_context()
        if linked.is_valid:
            links.append(Link(linked))
    with tracer(process).start_as_current_span(name, context=parent, kind=SpanKind.CONSUMER, links=links,
                                               attributes=dict(attributes or {})) as span:
        yield span


def instant_span(process: str, name: str, parent: Context, attributes: Mapping[str, str | int] | None = None) -> None:
    """A span marking a moment of a message's trace (the gateway saw it), ended at once. Never current:
    nothing runs inside it, so it skips the context attach and detach a `message_span` costs.

    Under a sampled parent (every message our adapters publish) the finished span is made as it will be
    exported and handed to the process's span processor: a span started and ended through the tracer
    cost 30-38 µs here, most of it the live span's attribute limits, lock and sampler, none of which a
    span that never runs needs; this costs 4-8 (docs/PERFORMANCE.md, thirteenth pass). Anything else (no
    parent, an unsampled one, tracing not configured, a sampler other than the default) goes through the
    tracer as before."""
    processor = _PROCESSORS.get(process)
    parent_context = trace.get_current_span(parent).get_span_context()
    if processor is None or not parent_context.is_valid or not parent_context.trace_flags.sampled:
        tracer(process).start_span(name, context=parent, kind=SpanKind.CONSUMER, attributes=dict(attributes or {})).end()
        return
    now = time.time_ns()
    context = SpanContext(parent_context.trace_id, _SPAN_IDS.generate_span_id(), is_remote=False,
                          trace_flags=_SAMPLED, trace_state=parent_context.trace_state)
    processor.on_end(ReadableSpan(name, context=context, parent=parent_context, resource=_PROVIDERS[process].resource,
                                  attributes=dict(attributes or {}), kind=SpanKind.CONSUMER, start_time=now,
                                  end_time=now))
