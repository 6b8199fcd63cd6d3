"""Beijing samples: provenance, native -> common -> native on each valid one (EXPECTED.json: test_expected.py)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pytest
from google.protobuf.json_format import MessageToDict

from adapters.beijing import CODEC, BeijingCodec
from adapters.beijing.from_common import case_to_native
from kernel.codec import Accepted, Rejected
from jjj.case.v1 import case_pb2
from tests.support.expected import JURISDICTIONS, samples

VALID = samples("beijing", "valid")
INVALID = samples("beijing", "invalid")


def _read(key: str) -> bytes:
    return (JURISDICTIONS / key).read_bytes()


def _single_case(key: str) -> case_pb2.Case:
    outcomes = list(CODEC.decode(_read(key)))
    assert len(outcomes) == 1, outcomes
    assert isinstance(outcomes[0], Accepted), outcomes[0]
    return outcomes[0].case


def test_there_are_samples() -> None:
    assert len(VALID) >= 6 and len(INVALID) >= 4




@pytest.mark.parametrize("key", VALID)
def test_valid_sample_has_provenance(key: str) -> None:
    raw = _read(key)
    case = _single_case(key)
    assert case.case_id == f"jjj:BJ:{case.native_id}"
    assert case.origin == case_pb2.JURISDICTION_BEIJING
    assert case.provenance.source_schema == "beijing-json"
    assert case.provenance.source_version == json.loads(raw)["bbh"]
    assert case.provenance.adapter_version == "0.1.0"
    assert case.provenance.document_sha256 == hashlib.sha256(raw).hexdigest()
    assert case.provenance.HasField("mapped_at")




def _strict(value: object) -> str:
    # Key order and whitespace do not matter; types do (1 is not 1.0 nor true).
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@pytest.mark.parametrize("key", VALID)
def test_native_common_native_gives_the_original_back(key: str) -> None:
    original = json.loads(_read(key))
    assert _strict(case_to_native(_single_case(key))) == _strict(original)
    rendered = CODEC.encode([_single_case(key)])
    assert _strict(json.loads(rendered)) == _strict(original)


@pytest.mark.parametrize("key", VALID)
def test_common_native_common_gives_the_same_case(key: str) -> None:
    clock = lambda: datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)  # noqa: E731
    codec = BeijingCodec(clock=clock)
    first = codec.decode_all(_read(key))[0][0]
    second = codec.decode_all(codec.encode([first]))[0][0]
    first.ClearField("provenance")
    second.ClearField("provenance")
    assert MessageToDict(second) == MessageToDict(first)
    assert second == first


def test_rendered_order_keeps_spec_key_order() -> None:
    key = "beijing/samples/valid/bj_rx_traditional_hk.json"
    rendered = json.loads(CODEC.encode([_single_case(key)]))
    assert list(rendered) == list(json.loads(_read(key)))
    assert CODEC.encode([_single_case(key)]).decode("utf-8").count("陳大文") == 1  # not \\u-escaped


def test_batch_of_all_samples_maps_each_record_with_its_own_bytes() -> None:
    orders = [json.loads(_read(key)) for key in VALID + INVALID if not key.endswith("truncated.json")]
    document = json.dumps(orders, ensure_ascii=False, indent=1).encode("utf-8")
    outcomes = list(CODEC.decode(document))
    assert len(outcomes) == len(orders)
    accepted = [o for o in outcomes if isinstance(o, Accepted)]
    rejected = [o for o in outcomes if isinstance(o, Rejected)]
    assert len(accepted) == len(VALID)
    assert [r.record for r in rejected] == list(range(len(VALID), len(orders)))
    for index, outcome in enumerate(outcomes):
        record_bytes = json.dumps(orders[index], ensure_ascii=False, indent=1).replace("\n", "\n ").encode("utf-8")
        if isinstance(outcome, Accepted):
            assert outcome.case.provenance.document_sha256 == hashlib.sha256(record_bytes).hexdigest()
            assert outcome.case == _with_provenance_of(_single_case(VALID[index]), outcome.case)
        else:
            assert json.loads(outcome.raw) == orders[index]


def _with_provenance_of(case: case_pb2.Case, other: case_pb2.Case) -> case_pb2.Case:
    copy = case_pb2.Case()
    copy.CopyFrom(case)
    copy.provenance.CopyFrom(other.provenance)
    return copy


def test_several_cases_render_as_an_array_and_decode_back() -> None:
    cases = [_single_case(key) for key in VALID]
    rendered = CODEC.encode(cases)
    assert isinstance(json.loads(rendered), list)
    again, rejected = CODEC.decode_all(rendered)
    assert rejected == []
    assert [c.case_id for c in again] == [c.case_id for c in cases]
    assert isinstance(json.loads(CODEC.encode(cases[:1])), dict)
