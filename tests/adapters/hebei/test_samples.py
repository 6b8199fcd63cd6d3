"""Every Hebei sample against EXPECTED.json, and round trips on every valid row."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from kernel.normalize.admin import jurisdiction_of
from adapters.hebei import CODEC, HebeiCodec, from_common, to_common
from adapters.hebei.tables import HEADER
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2
from tests.support.expected import JURISDICTIONS, load_expected, samples

EXPECTED = load_expected()
VALID = samples("hebei", "valid")
INVALID = samples("hebei", "invalid")
FIXED_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


def sample_bytes(key: str) -> bytes:
    return (JURISDICTIONS / key).read_bytes()


def sample_rows(key: str) -> list[dict[str, str]]:
    data = sample_bytes(key)
    text = data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("gb18030")
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(records[0]) == HEADER
    return [dict(zip(HEADER, record)) for record in records[1:] if record]


def without_provenance(case: case_pb2.Case) -> case_pb2.Case:
    copy = case_pb2.Case()
    copy.CopyFrom(case)
    copy.ClearField("provenance")
    return copy


def codec() -> HebeiCodec:
    return HebeiCodec(clock=lambda: FIXED_NOW)


def test_there_are_samples_of_both_kinds():
    assert len(VALID) >= 2 and len(INVALID) >= 1


def test_codec_identity():
    assert isinstance(CODEC, HebeiCodec)
    assert CODEC.jurisdiction == case_pb2.JURISDICTION_HEBEI
    assert CODEC.document_format == adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV
    assert CODEC.extension == "csv"






def test_the_referred_case_routes_to_beijing():
    cases, _ = codec().decode_all(sample_bytes("hebei/samples/valid/hb_mixed_four.csv"))
    routes = [jurisdiction_of(case.location.admin_code) for case in cases]
    assert routes == [case_pb2.JURISDICTION_HEBEI] * 3 + [case_pb2.JURISDICTION_BEIJING]


def test_provenance_of_a_sample_row():
    cases, _ = codec().decode_all(sample_bytes("hebei/samples/valid/hb_utf8_bom_one.csv"))
    provenance = cases[0].provenance
    assert provenance.source_schema == "hebei-csv"
    assert provenance.adapter_version == "0.1.0"
    assert provenance.mapped_at.ToDatetime(tzinfo=timezone.utc) == FIXED_NOW
    assert len(provenance.document_sha256) == 64


def test_same_row_hashes_the_same_in_either_encoding():
    gb = sample_bytes("hebei/samples/valid/hb_mixed_four.csv")
    utf8 = b"\xef\xbb\xbf" + gb.decode("gb18030").encode("utf-8")
    gb_cases, _ = codec().decode_all(gb)
    utf8_cases, _ = codec().decode_all(utf8)
    assert [c.provenance.document_sha256 for c in gb_cases] == [c.provenance.document_sha256 for c in utf8_cases]
    assert [without_provenance(c) for c in gb_cases] == [without_provenance(c) for c in utf8_cases]


def test_gb18030_sample_renders_back_byte_for_byte():
    data = sample_bytes("hebei/samples/valid/hb_mixed_four.csv")
    cases, _ = codec().decode_all(data)
    assert codec().encode(cases) == data


def test_utf8_sample_renders_as_the_same_rows_in_gb18030():
    key = "hebei/samples/valid/hb_utf8_bom_one.csv"
    cases, _ = codec().decode_all(sample_bytes(key))
    rendered = codec().encode(cases)
    assert rendered.decode("gb18030") == sample_bytes(key).decode("utf-8-sig")


@pytest.mark.parametrize("key", VALID)
def test_every_valid_row_round_trips_native_common_native(key):
    for row in sample_rows(key):
        assert from_common.to_row(to_common.to_case(row)) == row


@pytest.mark.parametrize("key", VALID)
def test_every_valid_row_round_trips_common_native_common(key):
    for case in codec().decode_all(sample_bytes(key))[0]:
        again = to_common.to_case(from_common.to_row(case))
        assert without_provenance(again) == without_provenance(case)
        # and through bytes
        (through_bytes,), rejected = codec().decode_all(codec().encode([case]))
        assert rejected == []
        assert without_provenance(through_bytes) == without_provenance(case)


def test_messy_spellings_of_the_sample_are_kept_for_the_way_back():
    cases, _ = codec().decode_all(sample_bytes("hebei/samples/valid/hb_mixed_four.csv"))
    by_id = {case.native_id: case for case in cases}
    first = by_id["HB1310222026000123"]
    assert first.extensions["hebei.联系电话"] == "139 3160 0000"
    petition = by_id["HB1310822026000456"]
    assert petition.extensions["hebei.联系电话"] == "０３１６－５５５１２３４"
    assert petition.extensions["hebei.经度"] == "116.8200"
    assert petition.location.point.longitude == pytest.approx(116.82)
    # A canonical row needs nothing kept.
    assert dict(by_id["HB1310222026000124"].extensions) == {}
