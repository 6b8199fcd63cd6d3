"""Province by code prefix: the bare 2-digit province code counts, non-ASCII digits do not."""

from __future__ import annotations

import pytest

from kernel.normalize.admin import admin_parent, jurisdiction_of
from jjj.case.v1 import case_pb2


@pytest.mark.parametrize(
    ("code", "jurisdiction"),
    [
        ("11", case_pb2.JURISDICTION_BEIJING),  # the province-level prefix alone
        ("13", case_pb2.JURISDICTION_HEBEI),
        ("11ab", case_pb2.JURISDICTION_UNSPECIFIED),  # not all digits
        ("11０１０５", case_pb2.JURISDICTION_UNSPECIFIED),  # full-width digits are digits, but not ASCII
        ("12٠١٠١", case_pb2.JURISDICTION_UNSPECIFIED),  # Arabic-Indic digits likewise
    ],
)
def test_jurisdiction_by_prefix_needs_two_or_more_ascii_digits(code, jurisdiction):
    assert jurisdiction_of(code) == jurisdiction


def test_an_unknown_code_has_no_parent():
    assert admin_parent("999999") is None
    assert admin_parent("") is None
