"""W3C trace context through gRPC metadata and NATS headers, and the span files."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from kernel.observability import tracing

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _context(trace_id: int, span_id: int):
    span = NonRecordingSpan(SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED)))
    return trace.set_span_in_context(span)


def test_a_member_traceparent_in_grpc_metadata_is_continued():
    context = tracing.context_from_metadata([("user-agent", "grpc"), ("traceparent", TRACEPARENT)])
    assert tracing.trace_id_of(context) == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_binary_metadata_and_no_traceparent_give_no_trace():
    context = tracing.context_from_metadata([("x-bin", b"\x00\x01")])
    assert tracing.trace_id_of(context) == ""
    assert tracing.trace_id_of_headers(None) == ""


def test_a_malformed_traceparent_is_ignored():
    assert tracing.trace_id_of(tracing.context_from_metadata([("traceparent", "00-zz-yy-01")])) == ""


def test_nats_header_names_are_matched_whatever_their_case():
    assert tracing.trace_id_of_headers({"Traceparent": TRACEPARENT}) == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_nothing_is_injected_without_a_span():
    headers = tracing.inject({"Nats-Msg-Id": "x"})
    assert headers == {"Nats-Msg-Id": "x"}


@given(trace_id=st.integers(1, 2**128 - 1), span_id=st.integers(1, 2**64 - 1))
def test_headers_carry_the_context_unchanged(trace_id, span_id):
    headers = tracing.inject({}, _context(trace_id, span_id))
    assert headers["traceparent"] == f"00-{trace_id:032x}-{span_id:016x}-01"
    back = trace.get_current_span(tracing.context_from_headers(headers)).get_span_context()
    assert (back.trace_id, back.span_id) == (trace_id, span_id)
    metadata = tracing.metadata_for(_context(trace_id, span_id))
    assert tracing.trace_id_of(tracing.context_from_metadata(metadata)) == f"{trace_id:032x}"


def test_spans_continue_the_caller_and_are_written_as_json_lines(tmp_path):
    process = "test-process"
    tracing.configure(process, tmp_path, schedule_delay_millis=50)
    try:
        with tracing.server_span(process, "SubmitDocument", [("traceparent", TRACEPARENT)], {"jjj.flow": "referral"}):
            published = tracing.inject({})
        with tracing.message_span(process, "inbox.deliver", published, link_metadata=[("traceparent", TRACEPARENT)]):
            pass
        tracing.flush(process)
        records = [json.loads(line) for line in (tmp_path / "traces" / f"{process}.jsonl").read_text().splitlines()]
    finally:
        tracing.shutdown(process)
    assert [r["name"] for r in records] == ["SubmitDocument", "inbox.deliver"]
    assert {r["trace_id"] for r in records} == {"4bf92f3577b34da6a3ce929d0e0e4736"}
    submit, deliver = records
    assert submit["parent_id"] == "00f067aa0ba902b7"
    assert deliver["parent_id"] == submit["span_id"]
    assert submit["attributes"] == {"jjj.flow": "referral"}
    assert deliver["links"] == ["4bf92f3577b34da6a3ce929d0e0e4736"]


def test_an_instant_span_continues_the_message_and_leaves_the_current_context_alone(tmp_path):
    process = "instant-process"
    tracing.configure(process, tmp_path, schedule_delay_millis=50)
    try:
        with tracing.server_span(process, "SubmitDocument", []) as outer:
            tracing.instant_span(process, "gateway.project", tracing.context_from_headers({"traceparent": TRACEPARENT}),
                                 {"jjj.flow": "referral"})
            assert trace.get_current_span() is outer  # the caller's span is still the current one
        tracing.flush(process)
        records = [json.loads(line) for line in (tmp_path / "traces" / f"{process}.jsonl").read_text().splitlines()]
    finally:
        tracing.shutdown(process)
    (instant,) = [r for r in records if r["name"] == "gateway.project"]
    assert (instant["trace_id"], instant["parent_id"]) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
    assert instant["kind"] == "CONSUMER" and instant["attributes"] == {"jjj.flow": "referral"}
    assert instant["end_ns"] >= instant["start_ns"] > 0
    # Without tracing configured it costs nothing and writes nothing.
    tracing.instant_span("never-configured", "gateway.project", tracing.context_from_headers({"traceparent": TRACEPARENT}))


def test_instant_spans_under_sampled_unsampled_and_no_parent(tmp_path):
    process = "instant-parents"
    tracing.configure(process, tmp_path, schedule_delay_millis=50)
    unsampled = TRACEPARENT[:-2] + "00"
    try:
        for _ in range(2):  # two under the same parent: each its own span id
            tracing.instant_span(process, "inbox.deliver", tracing.context_from_headers({"traceparent": TRACEPARENT}),
                                 {"jjj.envelope_id": "referral/bj/BJ-1/1"})
        tracing.instant_span(process, "inbox.deliver", tracing.context_from_headers({"traceparent": unsampled}))
        tracing.instant_span(process, "gateway.project", tracing.context_from_headers({}))
        tracing.flush(process)
        records = [json.loads(line) for line in (tmp_path / "traces" / f"{process}.jsonl").read_text().splitlines()]
    finally:
        tracing.shutdown(process)
    sampled = [r for r in records if r["parent_id"] == "00f067aa0ba902b7"]
    assert len(sampled) == 2 and len({r["span_id"] for r in sampled}) == 2
    assert all(r["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736" and r["kind"] == "CONSUMER"
               and r["status"] == "UNSET" and r["duration_ms"] == 0.0 and r["links"] == []
               and r["attributes"] == {"jjj.envelope_id": "referral/bj/BJ-1/1"} for r in sampled)
    # The unsampled parent's span is not recorded (the sampler follows the parent); without a parent a new trace.
    (root,) = [r for r in records if r["name"] == "gateway.project"]
    assert root["parent_id"] is None and root["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736"
    assert len(records) == 3


def test_an_instant_span_follows_a_sampler_chosen_by_the_environment(tmp_path, monkeypatch):
    # Not parent-based and never sampling: a sampled parent must not make the instant span recorded.
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    process = "instant-always-off"
    tracing.configure(process, tmp_path, schedule_delay_millis=50)
    try:
        tracing.instant_span(process, "inbox.deliver", tracing.context_from_headers({"traceparent": TRACEPARENT}))
        tracing.flush(process)
        path = tmp_path / "traces" / f"{process}.jsonl"
        assert not path.exists() or path.read_text() == ""
    finally:
        tracing.shutdown(process)


def test_a_process_without_tracing_configured_passes_the_caller_context_on_unchanged():
    with tracing.server_span("never-configured", "SubmitDocument", [("traceparent", TRACEPARENT)]) as span:
        assert not span.is_recording()
        assert tracing.inject({}) == {"traceparent": TRACEPARENT}
    with tracing.server_span("never-configured", "SubmitDocument", []):
        assert tracing.inject({}) == {}


def test_the_trace_file_is_rotated_at_its_size(tmp_path):
    exporter = tracing.JsonLinesExporter(tmp_path / "p.jsonl", "p", max_bytes=4096)
    process = "rotating"
    provider = tracing.configure(process, tmp_path / "unused")
    tracer = provider.get_tracer("t")
    try:
        for _ in range(60):
            with tracer.start_as_current_span("x" * 40) as span:
                pass
            exporter.export([span])
    finally:
        tracing.shutdown(process)
    assert (tmp_path / "p.jsonl.1").exists()
    assert (tmp_path / "p.jsonl").stat().st_size <= 4096
    assert not (tmp_path / "p.jsonl.2").exists()


@pytest.mark.parametrize("traceparent", ["", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"])
def test_without_a_valid_caller_context_a_new_root_trace_starts(tmp_path, traceparent):
    process = f"root-{len(traceparent)}"
    tracing.configure(process, tmp_path)
    try:
        with tracing.server_span(process, "SubmitDocument", [("traceparent", traceparent)]) as span:
            context = span.get_span_context()
            assert context.is_valid
            assert span.parent is None
    finally:
        tracing.shutdown(process)


def test_a_process_configured_for_another_data_directory_writes_there(tmp_path):
    process = "moving"
    try:
        for data_dir in (tmp_path / "first", tmp_path / "second"):
            tracing.configure(process, data_dir, schedule_delay_millis=50)
            with tracing.server_span(process, "SubmitDocument", []):
                pass
            tracing.flush(process)
        assert tracing.configure(process, tmp_path / "second") is tracing.configure(process, tmp_path / "second")
    finally:
        tracing.shutdown(process)
    for data_dir in (tmp_path / "first", tmp_path / "second"):
        assert len((data_dir / "traces" / f"{process}.jsonl").read_text().splitlines()) == 1


def _records(tmp_path, process: str) -> list[dict]:
    tracing.flush(process)
    path = tmp_path / "traces" / f"{process}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _through_the_tracer(process: str, name: str, metadata, attributes=None):
    """The span as the SDK makes it (the path `server_span` takes when it cannot take its light one)."""
    return tracing.tracer(process).start_as_current_span(name, context=tracing.context_from_metadata(metadata),
                                                         kind=trace.SpanKind.SERVER, attributes=dict(attributes or {}))


@pytest.mark.parametrize("metadata", [[("traceparent", TRACEPARENT)], []], ids=["caller's trace", "new trace"])
def test_a_call_span_is_written_as_the_sdk_writes_it(tmp_path, metadata):
    process = f"light-{len(metadata)}"
    tracing.configure(process, tmp_path, schedule_delay_millis=50)
    attributes = {"rpc.method": "SubmitDocument", "jjj.jurisdiction": "beijing"}
    try:
        with tracing.server_span(process, "SubmitDocument", metadata, attributes) as light:
            assert trace.get_current_span() is light
            injected = tracing.inject({})
        with _through_the_tracer(process, "SubmitDocument", metadata, attributes):
            pass
        records = _records(tmp_path, process)
    finally:
        tracing.shutdown(process)
    ours, sdks = records
    assert isinstance(light, tracing.CallSpan)
    assert injected["traceparent"] == f"00-{ours['trace_id']}-{ours['span_id']}-01"  # what a publish carries on
    differ = {"trace_id", "span_id", "start_ns", "end_ns", "duration_ms"}
    assert {k: v for k, v in ours.items() if k not in differ} == {k: v for k, v in sdks.items() if k not in differ}
    assert ours["end_ns"] >= ours["start_ns"] > 0
    if metadata:
        assert ours["trace_id"] == sdks["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    else:
        assert ours["parent_id"] is None and ours["trace_id"] != sdks["trace_id"]


def test_an_exception_through_a_call_span_sets_its_status_as_the_sdk_does(tmp_path):
    process = "light-error"
    tracing.configure(process, tmp_path, schedule_delay_millis=50)
    try:
        for span in (tracing.server_span(process, "SubmitDocument", []), _through_the_tracer(process, "SubmitDocument", [])):
            with pytest.raises(ValueError), span:
                raise ValueError("no case could be sent")
        records = _records(tmp_path, process)
    finally:
        tracing.shutdown(process)
    assert [r["status"] for r in records] == ["ERROR", "ERROR"]
    assert trace.get_current_span() is trace.INVALID_SPAN  # detached on the way out


def test_under_an_unsampled_caller_no_call_span_is_recorded_and_the_context_stays_unsampled(tmp_path):
    process = "light-unsampled"
    tracing.configure(process, tmp_path, schedule_delay_millis=50)
    unsampled = TRACEPARENT[:-2] + "00"
    try:
        with tracing.server_span(process, "SubmitDocument", [("traceparent", unsampled)]):
            injected = tracing.inject({})
        records = _records(tmp_path, process)
    finally:
        tracing.shutdown(process)
    assert records == []
    assert injected["traceparent"].startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-") and injected["traceparent"].endswith("-00")
