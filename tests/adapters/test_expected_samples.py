"""Every sample of ../shared/jurisdictions (copied to tests/fixtures/shared) gives what EXPECTED.json says."""

from __future__ import annotations

import pytest

from adapters.registry import codec_for
from tests.support.expected import JURISDICTIONS, load_expected, sample_problems


@pytest.mark.parametrize("key", sorted(load_expected()))
def test_sample_maps_as_expected(key):
    codec = codec_for(key.split("/")[0])
    outcomes = list(codec.decode((JURISDICTIONS / key).read_bytes()))
    assert sample_problems(key, outcomes) == []


def test_every_sample_file_has_an_expectation():
    on_disk = {str(p.relative_to(JURISDICTIONS)) for p in JURISDICTIONS.glob("*/samples/*/*") if p.is_file()}
    assert on_disk == set(load_expected())
