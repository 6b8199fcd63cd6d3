"""The repeat index keeps each digest's content sketch packed: the same similarity, a fraction of the memory."""

from __future__ import annotations

import sys

from hypothesis import given
from hypothesis import strategies as st

from adapters.service.packed_sketch import PackedSketch
from adapters.service.sharing import content_sketch
from kernel.domain.repeats import jaccard

SKETCH_VALUES = st.lists(st.integers(min_value=0, max_value=2**32 - 1), max_size=256)


@given(SKETCH_VALUES, SKETCH_VALUES)
def test_similarity_of_packed_sketches_is_that_of_their_sets(a, b):
    assert jaccard(PackedSketch(a), PackedSketch(b)) == jaccard(frozenset(a), frozenset(b))
    assert len(PackedSketch(a)) == len(set(a)) and bool(PackedSketch(a)) == bool(a)


def test_a_packed_sketch_takes_a_small_part_of_the_set_of_strings_it_replaces():
    values = content_sketch("每天晚上十点以后楼下商铺噪音很大，影响休息，请相关部门处理。" * 4, b"k" * 32)
    as_strings = frozenset(map(str, values))
    strings_bytes = sys.getsizeof(as_strings) + sum(sys.getsizeof(s) for s in as_strings)
    packed = PackedSketch(values)
    packed_bytes = sys.getsizeof(packed) + sys.getsizeof(packed._packed)
    assert packed.values() == frozenset(values)
    assert packed_bytes * 10 < strings_bytes


def test_equal_sketches_are_equal_records():
    assert PackedSketch([3, 1, 2, 2]) == PackedSketch([1, 2, 3])
    assert hash(PackedSketch([3, 1, 2])) == hash(PackedSketch([1, 2, 3]))
    assert PackedSketch([1]) != PackedSketch([2])


@given(st.text(max_size=300), st.binary(min_size=1, max_size=130))
def test_the_sketch_is_the_first_four_bytes_of_hmac_sha256_of_each_bigram(text, secret):
    import hashlib
    import hmac

    from kernel.domain.repeats import content_shingles

    expected = sorted({int.from_bytes(hmac.new(secret, s.encode(), hashlib.sha256).digest()[:4], "big")
                       for s in content_shingles(text)})[:256]
    assert content_sketch(text, secret) == expected
