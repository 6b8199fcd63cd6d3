from hypothesis import given
from hypothesis import strategies as st

from kernel.normalize.text import clean_code, fold_fullwidth, nfc


def test_fullwidth_digits_letters_and_punctuation_fold_to_ascii():
    assert fold_fullwidth("１３９１２３４５６７８") == "13912345678"
    assert fold_fullwidth("０３１６－５５５１２３４") == "0316-5551234"
    assert fold_fullwidth("ＡＢｘ（）＋") == "ABx()+"


def test_ideographic_space_becomes_space():
    assert fold_fullwidth("139\u30003160") == "139 3160"


def test_cjk_and_cjk_punctuation_untouched():
    text = "朝陽區三里屯路19號請協助。、「」《》"
    assert fold_fullwidth(text) == text


def test_fullwidth_comma_is_in_the_folded_range():
    # U+FF0C is the full-width form of ",": that is why free text is never folded.
    assert fold_fullwidth("甲，乙") == "甲,乙"


def test_nfc_composes():
    assert nfc("e\u0301") == "\u00e9"
    assert nfc("本人係香港居民") == "本人係香港居民"


def test_clean_code_strips_and_folds():
    assert clean_code("  Ａ０１０１ ") == "A0101"


@given(st.text())
def test_fold_fullwidth_is_idempotent(text):
    once = fold_fullwidth(text)
    assert fold_fullwidth(once) == once


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)))
def test_fold_fullwidth_leaves_cjk_ideographs_untouched(text):
    assert fold_fullwidth(text) == text


@given(st.text(alphabet=st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E)))
def test_every_fullwidth_form_becomes_printable_ascii(text):
    folded = fold_fullwidth(text)
    assert len(folded) == len(text)
    assert all(0x21 <= ord(ch) <= 0x7E for ch in folded)
