"""kernel.codec.Codec owns the loop: the clock, streaming, and decode never raising, over a format's hooks."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from kernel.codec import Accepted, Codec, MappingError, Record, Rejected
from jjj.case.v1 import case_pb2

START = datetime(2026, 11, 24, 4, 0, tzinfo=timezone.utc)


class Ticking:
    """A clock that moves a second each time it is read, and counts the reads."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self) -> datetime:
        self.reads += 1
        return START + timedelta(seconds=self.reads)


class LinesCodec(Codec):
    """A toy format: one case id per line; "!" refuses a line, "?" breaks the mapping."""

    jurisdiction = case_pb2.JURISDICTION_HEBEI
    extension = "txt"

    def split(self, content: bytes):
        if content.startswith(b"#"):
            raise MappingError("header", "a comment is not a header")
        for index, line in enumerate(content.split(b"\n")):
            if line:
                yield Record(line.decode(), line, index)

    def to_common(self, record: Record, mapped_at: datetime) -> case_pb2.Case:
        if record.value == "!":
            raise MappingError("id", "refused")
        if record.value == "?":
            return {}["no such key"]
        case = case_pb2.Case(case_id=record.value)
        case.provenance.mapped_at.FromDatetime(mapped_at)
        return case

    def from_common(self, case: case_pb2.Case) -> str:
        return case.case_id

    def render(self, records) -> bytes:
        return "".join(f"{line}\n" for line in records).encode()


def test_every_record_of_a_document_is_mapped_at_the_one_time_read_once():
    clock = Ticking()
    cases, rejected = LinesCodec(clock).decode_all(b"a\nb\nc\n")
    assert rejected == [] and [case.case_id for case in cases] == ["a", "b", "c"]
    assert clock.reads == 1
    assert {case.provenance.mapped_at.ToDatetime(timezone.utc) for case in cases} == {START + timedelta(seconds=1)}
    LinesCodec(clock).decode_all(b"d\n")
    assert clock.reads == 2


def test_a_refused_record_is_rejected_with_its_own_bytes_and_the_rest_goes_on():
    outcomes = list(LinesCodec().decode(b"a\n!\nb"))
    assert [type(o) for o in outcomes] == [Accepted, Rejected, Accepted]
    assert outcomes[1] == Rejected("id", "refused", record=1, raw=b"!")


def test_an_unexpected_exception_in_to_common_rejects_that_record_only():
    outcomes = list(LinesCodec().decode(b"a\n?\nb"))
    assert [type(o) for o in outcomes] == [Accepted, Rejected, Accepted]
    rejected = outcomes[1]
    assert (rejected.field, rejected.record, rejected.raw) == ("record", 1, b"?")
    assert rejected.reason.startswith("unmappable record (KeyError:")


def test_a_refused_document_is_one_rejection_keeping_the_whole_document():
    assert list(LinesCodec().decode(b"#x\na")) == [Rejected("header", "a comment is not a header", raw=b"#x\na")]


def test_a_split_failing_midway_keeps_what_was_mapped_and_rejects_the_document():
    class Breaking(LinesCodec):
        def split(self, content: bytes):
            yield Record("a", b"a", 0)
            raise RuntimeError("disk on fire")

    outcomes = list(Breaking().decode(b"a\nb"))
    assert isinstance(outcomes[0], Accepted) and outcomes[0].case.case_id == "a"
    assert outcomes[1:] == [Rejected("document", "unreadable document (RuntimeError: disk on fire)", raw=b"a\nb")]


def test_a_failing_clock_rejects_the_document_instead_of_raising():
    def broken_clock() -> datetime:
        raise OSError("no time")

    (only,) = LinesCodec(broken_clock).decode(b"a")
    assert isinstance(only, Rejected) and only.record == -1 and "OSError" in only.reason


def test_bytes_like_content_is_decoded_and_anything_else_rejected():
    assert [o.case.case_id for o in LinesCodec().decode(bytearray(b"a\nb"))] == ["a", "b"]
    assert [o.case.case_id for o in LinesCodec().decode(memoryview(b"a"))] == ["a"]
    (only,) = LinesCodec().decode("a\nb")  # type: ignore[arg-type]
    assert isinstance(only, Rejected) and only.raw == b"" and "TypeError" in only.reason


def test_decode_stream_reads_a_whole_file_when_the_format_does_not_stream():
    codec = LinesCodec(lambda: START)
    assert list(codec.decode_stream(io.BytesIO(b"a\n!\nb"))) == list(codec.decode(b"a\n!\nb"))


def test_decode_stream_rejects_a_file_that_cannot_be_read():
    class Unreadable(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise OSError("device gone")

    (only,) = LinesCodec().decode_stream(Unreadable())
    assert only == Rejected("document", "unreadable document (OSError: device gone)")


def test_a_streaming_split_is_used_by_decode_stream():
    class Streaming(LinesCodec):
        def split_stream(self, source):
            for line in source:
                yield Record(line.strip().decode(), line, -1)

    class Counting(io.BytesIO):
        lines_read = 0

        def __next__(self) -> bytes:
            Counting.lines_read += 1
            return super().__next__()

    outcomes = Streaming().decode_stream(Counting(b"a\nb\nc\n"))
    assert next(outcomes).case.case_id == "a"
    assert Counting.lines_read == 1  # lazily: one line read for one outcome
    assert [o.case.case_id for o in outcomes] == ["b", "c"]


def test_encode_renders_what_from_common_gives_for_each_case():
    cases = [case_pb2.Case(case_id="a"), case_pb2.Case(case_id="b")]
    assert LinesCodec().encode(cases) == b"a\nb\n"
    assert LinesCodec().encode(iter(cases)) == b"a\nb\n"
