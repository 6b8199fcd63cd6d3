"""Every codec, whatever bytes it is handed, gives outcomes and never raises: it only rejects.

Inputs are random bytes and the shared samples mutated (bytes flipped, cut short,
bytes inserted, lines or elements deleted or duplicated, a part re-encoded in
another encoding). Each outcome must say something true: a rejection names a
field and a reason and keeps bytes that are the input or a part of it; an accepted
case has an id and comes from the codec's jurisdiction. decode_stream agrees with
decode. The guarantee is kernel.codec.Codec's: a hook raising anything at all
gives a rejection too.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.beijing import BeijingCodec
from adapters.hebei import HebeiCodec
from adapters.tianjin import TianjinCodec
from kernel.codec import Accepted, Codec, Outcome, Rejected
from kernel.jsonl import CommonJsonlCodec
from tests.support.expected import JURISDICTIONS

FIXED_NOW = datetime(2026, 11, 24, 4, 0, tzinfo=timezone.utc)
CODECS: dict[str, Codec] = {
    "beijing": BeijingCodec(clock=lambda: FIXED_NOW),
    "tianjin": TianjinCodec(clock=lambda: FIXED_NOW),
    "hebei": HebeiCodec(clock=lambda: FIXED_NOW),
    "common": CommonJsonlCodec(clock=lambda: FIXED_NOW),
}
MEMBERS = ("beijing", "tianjin", "hebei")
SAMPLES: dict[str, list[bytes]] = {
    name: [path.read_bytes() for path in sorted((JURISDICTIONS / name / "samples").glob("*/*"))] for name in MEMBERS
}
# The common format's samples: the members' valid samples as common JSONL, one document per member.
SAMPLES["common"] = [
    CODECS["common"].encode(case for sample in SAMPLES[name] for case in CODECS[name].decode_all(sample)[0])
    for name in MEMBERS
]
# About a second per codec and test on one core.
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Elements to delete or duplicate: an XML leaf or empty element, a JSON "key": scalar
# member, a CSV cell.
_ELEMENT = re.compile(
    rb'<(\w+)\b[^<>]*>[^<]*</\1>|<\w+\b[^<>]*/>|"[^"\\]*"\s*:\s*(?:"[^"\\]*"|[-+.0-9eE]+|true|false|null)\s*,?|[^,\r\n]*,'
)
# Values to replace: a quoted string (JSON value or key, XML attribute), XML text, a CSV cell.
_VALUE = re.compile(rb'"[^"\\\r\n]*"|>[^<>]+<|(?<=,)[^,"\r\n]*(?=,)')
_PLAIN_TEXT = st.text(st.characters(blacklist_characters='"\\<>&,\r\n', blacklist_categories=("Cs",)), max_size=12)
_ENCODINGS = ("utf-8", "gb18030", "gbk", "big5", "utf-16", "utf-16-be", "shift_jis", "latin-1", "cp1252")


def _position(draw, data: bytes, end: bool = False) -> int:
    return draw(st.integers(0, len(data) if end else max(len(data) - 1, 0)))


@st.composite
def _flip(draw, data: bytes) -> bytes:
    if not data:
        return data
    at = _position(draw, data)
    return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]


@st.composite
def _truncate(draw, data: bytes) -> bytes:
    return data[: _position(draw, data, end=True)]


@st.composite
def _insert(draw, data: bytes) -> bytes:
    at = _position(draw, data, end=True)
    inserted = draw(st.binary(min_size=1, max_size=12) | st.sampled_from([b"\n", b"\r\n", b",", b'"', b"<", b"{", b"[", b"\x00"]))
    return data[:at] + inserted + data[at:]


def _pieces_edit(draw, pieces: list[bytes]) -> list[bytes]:
    if not pieces:
        return pieces
    at = draw(st.integers(0, len(pieces) - 1))
    copies = draw(st.sampled_from([0, 2, 3]))  # deleted, or duplicated
    return pieces[:at] + [pieces[at]] * copies + pieces[at + 1 :]


@st.composite
def _lines(draw, data: bytes) -> bytes:
    return b"".join(_pieces_edit(draw, data.splitlines(keepends=True)))


@st.composite
def _element(draw, data: bytes) -> bytes:
    spans = [match.span() for match in _ELEMENT.finditer(data) if match.end() > match.start()]
    if not spans:
        return data
    start, end = draw(st.sampled_from(spans))
    copies = draw(st.sampled_from([0, 2]))
    return data[:start] + data[start:end] * copies + data[end:]


@st.composite
def _value(draw, data: bytes) -> bytes:
    """A value replaced by other text, the syntax around it left intact."""
    spans = [match.span() for match in _VALUE.finditer(data)]
    if not spans:
        return data
    start, end = draw(st.sampled_from(spans))
    opening, closing = (data[start : start + 1], data[end - 1 : end]) if data[start : start + 1] in b'">' else (b"", b"")
    text = draw(_PLAIN_TEXT).encode(draw(st.sampled_from(("utf-8", "utf-8", "utf-8", "gb18030"))))
    return data[:start] + opening + text + closing + data[end:]


@st.composite
def _reencode(draw, data: bytes) -> bytes:
    """One line, or the whole document, re-encoded: a document mixing encodings."""
    lines = data.splitlines(keepends=True) or [data]
    at = draw(st.integers(0, len(lines) - 1))
    for source in ("utf-8", "gb18030"):
        try:
            text = lines[at].decode(source)
            break
        except UnicodeDecodeError:
            continue
    else:
        return data
    lines[at] = text.encode(draw(st.sampled_from(_ENCODINGS)), errors="replace")
    if draw(st.booleans()):
        lines = [line.decode(source, errors="replace").encode(draw(st.sampled_from(_ENCODINGS)), "replace")
                 if index != at else line for index, line in enumerate(lines)]
    return b"".join(lines)


# Weighted towards edits that keep the syntax, so that a good share of the documents
# reach the records' own checks (and some are still accepted).
_MUTATIONS = (_flip, _truncate, _insert, _lines, _element, _element, _reencode, _value, _value, _value)
_LINE_MUTATIONS = (_flip, _insert, _element, _reencode, _value, _value, _value)


@st.composite
def mutated(draw, samples: list[bytes]) -> bytes:
    data = draw(st.sampled_from(samples))
    for _ in range(draw(st.integers(1, 2))):
        lines = data.splitlines(keepends=True)
        if len(lines) > 1 and draw(st.booleans()):
            # An edit inside one line after the first (a field, a row, an element), leaving
            # the document's frame (XML declaration, CSV header) alone, so that the records'
            # own checks get their share of the inputs.
            at = draw(st.integers(1, len(lines) - 1))
            lines[at] = draw(draw(st.sampled_from(_LINE_MUTATIONS))(lines[at]))
            data = b"".join(lines)
        else:
            data = draw(draw(st.sampled_from(_MUTATIONS))(data))
    return data


def _check_outcome(name: str, outcome: Outcome, data: bytes) -> None:
    codec = CODECS[name]
    if isinstance(outcome, Rejected):
        assert isinstance(outcome.field, str) and outcome.field.strip(), outcome
        assert isinstance(outcome.reason, str) and outcome.reason.strip(), outcome
        assert isinstance(outcome.raw, bytes) and outcome.raw in data, outcome
        assert outcome.record >= -1 and outcome.row >= 0
        if outcome.record == -1 and outcome.row == 0:
            assert outcome.raw == data, "the document (or its only record) is rejected whole"
        if outcome.record >= 0:
            assert outcome.raw, "a record of a batch keeps its own bytes"
        return
    assert isinstance(outcome, Accepted), outcome
    case = outcome.case
    assert case.case_id
    if name == "common":
        # A common line is a case already: it renders back to one line that decodes to it.
        (again,) = codec.decode(codec.encode([case]))
        assert again == outcome
        return
    assert case.origin == codec.jurisdiction
    assert case.native_id and case.case_id.endswith(":" + case.native_id)
    assert re.fullmatch("[0-9a-f]{64}", case.provenance.document_sha256)
    assert case.provenance.mapped_at.ToDatetime(timezone.utc) == FIXED_NOW


def _check_decode(name: str, data: bytes) -> list[Outcome]:
    codec = CODECS[name]
    outcomes = list(codec.decode(data))  # must not raise
    for outcome in outcomes:
        _check_outcome(name, outcome, data)
    streamed = list(codec.decode_stream(io.BytesIO(data)))
    assert len(streamed) == len(outcomes)
    for one, other in zip(streamed, outcomes, strict=True):
        assert type(one) is type(other)
        if isinstance(one, Accepted):
            assert one.case == other.case
            continue
        assert (one.field, one.reason, one.row, one.record) == (other.field, other.reason, other.row, other.record)
        # A streamed document that fails as a whole keeps what was read of it.
        assert one.raw == other.raw or (other.raw == data and one.raw in data)
    return outcomes


@pytest.mark.parametrize("name", CODECS)
@SETTINGS
@given(data=st.binary(max_size=3000))
def test_random_bytes_are_rejected_not_raised(name, data):
    outcomes = _check_decode(name, data)
    assert all(isinstance(outcome, Rejected) for outcome in outcomes)  # random bytes are no case


@pytest.mark.parametrize("name", CODECS)
@SETTINGS
@given(data=st.data())
def test_mutated_samples_are_mapped_or_rejected_not_raised(name, data):
    _check_decode(name, data.draw(mutated(SAMPLES[name]), label="document"))


@pytest.mark.parametrize("name", CODECS)
def test_the_samples_themselves_pass_the_same_checks(name):
    outcomes = [outcome for sample in SAMPLES[name] for outcome in _check_decode(name, sample)]
    assert any(isinstance(outcome, Accepted) for outcome in outcomes)


def _failing(codec: Codec, hook: str, error: Exception) -> Codec:
    """The same codec with one hook replaced by one that raises `error`."""

    def fail(*args):
        raise error

    return type(f"Failing{type(codec).__name__}", (type(codec),), {hook: staticmethod(fail)})(clock=lambda: FIXED_NOW)


@pytest.mark.parametrize("name", CODECS)
def test_a_to_common_raising_an_unexpected_exception_rejects_each_record(name):
    codec = CODECS[name]
    failing = _failing(codec, "to_common", KeyError("gdbh"))
    for sample in SAMPLES[name]:
        expected = list(codec.decode(sample))
        outcomes = list(failing.decode(sample))
        assert len(outcomes) == len(expected)
        for outcome, normal in zip(outcomes, expected, strict=True):
            assert isinstance(outcome, Rejected)
            if outcome == normal:
                continue  # refused before to_common: by split, or the document as a whole
            assert (outcome.field, outcome.reason) == (codec.record_field, "unmappable record (KeyError: 'gdbh')")
            assert outcome.raw and outcome.raw in sample
            if isinstance(normal, Rejected):  # refused by to_common before: the same record
                assert (outcome.row, outcome.record, outcome.raw) == (normal.row, normal.record, normal.raw)


@pytest.mark.parametrize("name", CODECS)
def test_a_split_raising_an_unexpected_exception_rejects_the_document(name):
    failing = _failing(CODECS[name], "split", RuntimeError("parser bug"))
    for sample in SAMPLES[name]:
        assert list(failing.decode(sample)) == [
            Rejected(CODECS[name].document_field, "unreadable document (RuntimeError: parser bug)", raw=sample)
        ]
