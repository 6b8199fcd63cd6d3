"""Every Tianjin sample against EXPECTED.json, and round trips on every valid sample."""

from __future__ import annotations

import hashlib
import re

import pytest
from google.protobuf.json_format import MessageToDict

from kernel.codec import Accepted
from adapters.tianjin import CODEC, TianjinCodec
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2
from tests.adapters.tianjin.support import (
    FIXED_NOW,
    canonical_document,
    codec,
    sample_bytes,
    same_case,
)
from tests.support.expected import load_expected, samples

EXPECTED = load_expected()
VALID = samples("tianjin", "valid")
INVALID = samples("tianjin", "invalid")


def test_there_are_samples_of_both_kinds():
    assert len(VALID) >= 4 and len(INVALID) >= 3


def test_codec_identity():
    assert isinstance(CODEC, TianjinCodec)
    assert CODEC.jurisdiction == case_pb2.JURISDICTION_TIANJIN
    assert CODEC.document_format == adapter_pb2.DOCUMENT_FORMAT_TIANJIN_XML
    assert CODEC.extension == "xml"






@pytest.mark.parametrize("key", VALID)
def test_provenance(key):
    content = sample_bytes(key)
    cases, _ = codec().decode_all(content)
    for case in cases:
        provenance = case.provenance
        assert provenance.source_schema == "tianjin-xml"
        assert provenance.source_version == "2.1"
        assert provenance.adapter_version == "0.1.0"
        assert provenance.mapped_at.ToDatetime().replace(tzinfo=FIXED_NOW.tzinfo) == FIXED_NOW
        assert len(provenance.document_sha256) == 64
    if len(cases) == 1:
        assert cases[0].provenance.document_sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("key", VALID)
def test_native_common_native_gives_an_equivalent_document(key):
    content = sample_bytes(key)
    cases, _ = codec().decode_all(content)
    rendered = codec().encode(cases)
    assert rendered.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    assert canonical_document(rendered) == canonical_document(content)


@pytest.mark.parametrize("key", VALID)
def test_common_native_common_gives_the_same_cases(key):
    cases, _ = codec().decode_all(sample_bytes(key))
    again, rejected = codec().decode_all(codec().encode(cases))
    assert rejected == []
    assert len(again) == len(cases)
    for before, after in zip(cases, again, strict=True):
        assert same_case(before, after), (MessageToDict(before), MessageToDict(after))


def test_batch_records_carry_their_own_raw_bytes():
    content = sample_bytes("tianjin/samples/valid/tj_batch_five.xml")
    starts = [match.start() for match in re.finditer(rb"<WorkOrder ", content)]
    ends = [match.end() for match in re.finditer(rb"</WorkOrder>", content)]
    outcomes = list(codec().decode(content))
    assert [type(outcome) for outcome in outcomes] == [Accepted] * 5
    for number, (outcome, start, end) in enumerate(zip(outcomes, starts, ends, strict=True), start=1):
        assert outcome.case.native_id == f"TJ-26-1124-00100{number}"
        assert outcome.case.provenance.document_sha256 == hashlib.sha256(content[start:end]).hexdigest()


def test_one_bad_order_does_not_spoil_the_batch():
    content = sample_bytes("tianjin/samples/valid/tj_batch_five.xml")
    bad = content.replace(b"<AcceptedAt>20261124120000</AcceptedAt>", b"")
    bad = bad.replace(b"<OrderNo>TJ-26-1124-001004</OrderNo>", b"<OrderNo>2026112400123</OrderNo>")
    outcomes = list(codec().decode(bad))
    kinds = [type(outcome).__name__ for outcome in outcomes]
    assert kinds == ["Accepted", "Rejected", "Accepted", "Rejected", "Accepted"]
    assert (outcomes[1].record, outcomes[1].field) == (1, "AcceptedAt")
    assert (outcomes[3].record, outcomes[3].field) == (3, "OrderNo")
    assert outcomes[1].raw.startswith(b"<WorkOrder ") and outcomes[1].raw.endswith(b"</WorkOrder>")
    assert b"TJ-26-1124-001002" in outcomes[1].raw and b"001001" not in outcomes[1].raw
    assert "record 1" in outcomes[1].message("batch.xml")


def test_bom_is_optional_and_changes_nothing_but_the_hash():
    content = sample_bytes("tianjin/samples/valid/tj_bom_transfer_langfang.xml")
    assert content.startswith(b"\xef\xbb\xbf")
    with_bom, _ = codec().decode_all(content)
    without_bom, _ = codec().decode_all(content[3:])
    assert same_case(with_bom[0], without_bom[0])
    assert with_bom[0].provenance.document_sha256 != without_bom[0].provenance.document_sha256
