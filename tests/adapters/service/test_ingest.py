"""The pure parts of IngestDocument: pieces read as one file, the chunk's signature, the header's checks."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.hebei import HebeiCodec
from adapters.hebei.synthetic import synthetic_document
from adapters.service.ingest import Header, _Pieces, ingest_id_of, sign_chunk, verified_chunk
from kernel.codec import split_outcomes
from kernel.errors import InvalidRequest
from kernel.security.signing import Signer
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

DOCUMENT = b"".join(synthetic_document(40, seed=3))
# A bad row (an impossible time) in the middle, so rejections go through the pieces too.
_LINES = DOCUMENT.split(b"\r\n")
_LINES[7] = _LINES[7].replace(b"2026", b"2026/13/45 ", 1) if b"2026" in _LINES[7] else _LINES[7]
WITH_BAD_ROW = b"\r\n".join(_LINES)


def pieces_of(content: bytes, cuts: list[int]) -> _Pieces:
    bounds = sorted({0, len(content), *(cut % (len(content) + 1) for cut in cuts)})
    queued = [content[start:end] for start, end in zip(bounds, bounds[1:], strict=False)] + [b""]
    return _Pieces(lambda: queued.pop(0))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0), max_size=40), st.sampled_from([DOCUMENT, WITH_BAD_ROW]))
def test_a_document_cut_anywhere_decodes_as_the_whole_does(cuts, content):
    codec = HebeiCodec()
    streamed = split_outcomes(codec.decode_stream(io.BufferedReader(pieces_of(content, cuts), buffer_size=64)))
    whole = split_outcomes(codec.decode(content))
    strip = lambda cases: [c.SerializeToString(deterministic=True) for c in _without_mapped_at(cases)]  # noqa: E731
    assert strip(streamed[0]) == strip(whole[0]) and len(whole[0]) >= 39
    assert [(r.row, r.field, r.reason) for r in streamed[1]] == [(r.row, r.field, r.reason) for r in whole[1]]
    assert len(whole[1]) == (content is WITH_BAD_ROW)


def _without_mapped_at(cases):
    for case in cases:
        copy = case_pb2.Case()
        copy.CopyFrom(case)
        copy.provenance.ClearField("mapped_at")
        yield copy


def test_pieces_are_read_across_their_bounds_and_an_empty_piece_ends_the_file():
    queued = [b"ab", b"cde", b"", b"never read"]
    source = _Pieces(lambda: queued.pop(0))
    assert source.read(1) == b"a" and source.read(3) == b"b" and source.read(10) == b"cde"
    assert source.read(10) == b"" and source.read(10) == b"" and queued == [b"never read"]


def test_a_chunk_verifies_only_with_the_adapters_own_key_and_unchanged():
    signer, other = Signer.generate("hebei"), Signer.generate("hebei")
    chunk = envelope_pb2.IngestChunk(ingest_id="hb-1", chunk=3, sender=case_pb2.JURISDICTION_HEBEI,
                                     cases=[case_pb2.Case(case_id="jjj:HE:1", title="标题")])
    data = sign_chunk(chunk, signer)
    assert verified_chunk(data, signer).cases[0].title == "标题"
    assert verified_chunk(data, other) is None
    tampered = envelope_pb2.IngestChunk.FromString(data)
    tampered.destination = case_pb2.JURISDICTION_TIANJIN
    assert verified_chunk(tampered.SerializeToString(deterministic=True), signer) is None
    unsigned = envelope_pb2.IngestChunk(ingest_id="hb-1").SerializeToString()
    assert verified_chunk(unsigned, signer) is None
    assert verified_chunk(b"\xff\xff not a chunk", signer) is None


def test_the_ingest_id_follows_the_request_id():
    assert ingest_id_of("hb", "export-1") == ingest_id_of("hb", "export-1")
    assert ingest_id_of("hb", "export-1") != ingest_id_of("hb", "export-2")
    assert ingest_id_of("hb", "export-1").startswith("hb-")


@pytest.mark.parametrize(("first", "field"), [
    (adapter_pb2.IngestDocumentRequest(content=b"x"), "request_id"),
    (adapter_pb2.IngestDocumentRequest(request_id="r", flow=envelope_pb2.FLOW_INFORMATION_SHARE), "flow"),
    (adapter_pb2.IngestDocumentRequest(request_id="r", destination=99), "destination"),
])
def test_a_header_names_what_is_wrong(first, field):
    with pytest.raises(InvalidRequest) as refused:
        Header.of(first)
    assert refused.value.violations[0][0] == field


def test_the_header_fingerprint_ignores_the_content_and_sees_the_rest():
    base = adapter_pb2.IngestDocumentRequest(request_id="r", destination=case_pb2.JURISDICTION_BEIJING, content=b"a")
    same = adapter_pb2.IngestDocumentRequest(request_id="r", destination=case_pb2.JURISDICTION_BEIJING, content=b"b")
    other = adapter_pb2.IngestDocumentRequest(request_id="r", destination=case_pb2.JURISDICTION_TIANJIN)
    assert Header.of(base).fingerprint() == Header.of(same).fingerprint() != Header.of(other).fingerprint()
