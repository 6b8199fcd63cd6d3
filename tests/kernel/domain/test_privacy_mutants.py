"""Masking and keyed hashing, pinned where mutation testing found them loose.

The requester key is compared between jurisdictions and kept in projections, so its
construction (HMAC-SHA256 over "jjj-requester-v1", a namespace and the normalised value)
is recomputed here from the documented recipe: a change would split one citizen in two.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.domain.privacy import mask_phone, party_key, redact_text, requester_key
from jjj.case.v1 import case_pb2

SECRET = b"federation test secret"


def documented_key(namespace: str, normalised: str) -> str:
    return hmac.new(SECRET, f"jjj-requester-v1\x00{namespace}\x00{normalised}".encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    ("digits", "masked"),
    [
        ("1", "*"),
        ("123", "***"),  # too short to keep anything
        ("1234", "**34"),  # 4..7 digits keep the last 2
        ("12345", "***45"),
        ("123456", "****56"),
        ("1234567", "1****67"),  # and a 1-digit prefix once 4 can still be masked
        ("12345678", "****5678"),  # 8+ keep the last 4
        ("123456789", "1****6789"),
        ("13912345678", "139****5678"),
        ("123456789012345678", "123***********5678"),  # the prefix never exceeds 3
    ],
)
def test_a_number_that_is_not_e164_is_masked_by_its_length(digits, masked):
    assert mask_phone(digits) == masked


@given(st.text(alphabet="0123456789", min_size=8, max_size=30))
def test_a_long_number_keeps_at_most_3_leading_and_exactly_4_trailing_digits(digits):
    masked = mask_phone(digits)
    assert len(masked) == len(digits)
    assert masked.endswith(digits[-4:])
    head = len(masked) - len(masked.lstrip("0123456789"))
    assert head == min(3, len(digits) - 8)
    assert set(masked[head:-4]) == {"*"} and len(masked[head:-4]) >= 4


@pytest.mark.parametrize(("raw", "masked"), [("+1", "*"), ("+86", "**"), ("+abc123", "***")])
def test_a_plus_sign_without_a_parsable_number_falls_back_to_its_digits(raw, masked):
    assert mask_phone(raw) == masked


def test_a_key_needs_the_secret():
    with pytest.raises(ValueError) as error:
        requester_key(b"", case_pb2.ID_TYPE_RESIDENT_ID, "110101199003077777")
    assert str(error.value) == "requester_key needs the federation's secret; an unkeyed hash of an id is reversible"


def test_a_phone_key_is_the_documented_hmac_of_the_e164_number():
    assert requester_key(SECRET, case_pb2.ID_TYPE_UNSPECIFIED, "139 1234 5678") == documented_key("phone", "+8613912345678")


def test_an_id_key_is_the_documented_hmac_of_the_cleaned_number():
    assert requester_key(SECRET, case_pb2.ID_TYPE_PASSPORT, " e1234 5678 ") == documented_key("id", "E12345678")


def test_a_phone_and_an_id_with_the_same_characters_get_different_keys():
    value = "+8613912345678"
    assert requester_key(SECRET, case_pb2.ID_TYPE_UNSPECIFIED, value) != requester_key(SECRET, case_pb2.ID_TYPE_OTHER, value)


def test_an_id_number_without_a_type_is_keyed_as_an_id_not_as_a_phone():
    party = case_pb2.Party(id_number="13912345678", phone="+8613800138000")
    assert party_key(party, SECRET) == documented_key("id", "13912345678")
    assert party_key(party, SECRET) == requester_key(SECRET, case_pb2.ID_TYPE_RESIDENT_ID, "13912345678")


def test_a_named_requester_without_id_or_phone_has_no_key():
    assert party_key(case_pb2.Party(name="王芳"), SECRET) == ""
    assert party_key(case_pb2.Party(name="王芳", id_number="  ", phone=" "), SECRET) == ""


def test_grouped_mobiles_and_long_number_runs_in_a_title_are_masked():
    party = case_pb2.Party(name="王芳")
    title = "call 139 1234 5678 or +86-139-1234-5678, id 11010119900307777x, room 12"
    assert redact_text(title, party) == "call 139****5678 or 861******5678, id 110***********777x, room 12"


def test_the_requesters_own_mobile_written_nationally_is_masked_as_a_whole():
    party = case_pb2.Party(name="王芳", phone="+8613912345678")
    assert redact_text("王芳 13912345678 or +8613912345678", party) == "王* 139****5678 or +86139****5678"


def test_a_phone_kept_as_typed_is_masked_whole_and_without_its_country_code():
    # normalize_phone keeps an invalid number as typed: "+86 10 1234 567" is a digit short.
    party = case_pb2.Party(name="王芳", phone="+86 10 1234 567")
    redacted = redact_text("请回电 +86 10 1234 567 或 10 1234 567", party)
    # The whole number as mask_phone shows it; the national part (" 10 1234 567", 12
    # characters with its leading space) keeps 3 in front and 4 behind.
    assert redacted == "请回电 +861****4567 或 10***** 567"
    assert "1234" not in redacted
