"""Observability for the tools operators run: Prometheus metrics and W3C trace context.

`metrics` defines every metric once (names `jjj_*` with their unit, labels bounded to
flow, sender, receiver, reason, state: never a case id or anything personal) and serves
them on a loopback port; `tracing` carries the W3C traceparent through gRPC metadata and
NATS headers (OpenTelemetry's propagator) and writes finished spans as JSON lines under
`<data_dir>/traces/`.
"""
