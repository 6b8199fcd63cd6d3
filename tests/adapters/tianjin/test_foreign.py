"""Beijing and Hebei cases (decoded by their own codecs from their samples) rendered for Tianjin."""

from __future__ import annotations

import pytest

from kernel.codec import Rejected
from kernel.normalize import taxonomy
from adapters.registry import codec_for
from adapters.tianjin import parser
from adapters.tianjin.xsd import schema
from jjj.case.v1 import case_pb2
from tests.adapters.tianjin.support import codec
from tests.support.expected import JURISDICTIONS, samples


def _foreign_cases():
    found = []
    for jurisdiction in ("beijing", "hebei"):
        foreign_codec = codec_for(jurisdiction)
        for key in samples(jurisdiction, "valid"):
            cases, _ = foreign_codec.decode_all((JURISDICTIONS / key).read_bytes())
            found.extend(pytest.param(case, id=f"{key}:{case.native_id}") for case in cases)
    return found


FOREIGN = _foreign_cases()


def test_both_other_jurisdictions_give_cases_to_render():
    assert {param.values[0].origin for param in FOREIGN} == {case_pb2.JURISDICTION_BEIJING, case_pb2.JURISDICTION_HEBEI}


@pytest.mark.parametrize("case", FOREIGN)
def test_foreign_case_renders_as_a_valid_tianjin_order(case):
    rendered = codec().encode([case])
    element = parser.parse_document(rendered).records[0].element
    problems = schema().problems(element)
    if "requester.phone:invalid" in case.quality_flags:
        # The origin's invalid number is kept as typed: it cannot match Mobile's pattern.
        problems = [problem for problem in problems if "Mobile" not in problem]
    assert problems == []
    assert element.findtext("OrderNo") == case.native_id
    assert element.find("Category").get("code") == taxonomy.source_code_for("tianjin-4digit", case.category.code)
    without_foreign = case_pb2.Case()
    without_foreign.CopyFrom(case)
    for key in [key for key in case.extensions if not key.startswith("tianjin.")]:
        del without_foreign.extensions[key]
    assert codec().encode([without_foreign]) == rendered  # other jurisdictions' extensions are not rendered
    outcome = next(iter(codec().decode(rendered)))
    assert isinstance(outcome, Rejected) and outcome.field == "OrderNo"  # not a Tianjin-origin order
