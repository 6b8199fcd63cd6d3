"""Masking, keyed requester hashes, and digests that carry no raw personal data."""

from __future__ import annotations

import json

import pytest
from google.protobuf.json_format import MessageToJson
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.normalize.resident_id import gb11643_check_digit
from kernel.domain.privacy import digest_case, mask_name, mask_phone, party_key, redact_text, requester_key
from jjj.case.v1 import case_pb2 as c

SECRET = b"federation-test-secret"
ID_NUMBER = "11010519491231002X"  # the GB 11643 standard's own example number
PHONE = "+8613912345678"


def make_case(**requester) -> c.Case:
    party = {"name": "王芳", "id_type": c.ID_TYPE_RESIDENT_ID, "id_number": ID_NUMBER, "phone": PHONE}
    party.update(requester)
    return c.Case(
        case_id="jjj:HE:LF20261124000123",
        origin=c.JURISDICTION_HEBEI,
        kind=c.CASE_KIND_HOTLINE_REQUEST,
        title="燕郊小区供暖不热",
        content="王芳反映家中暖气不热，电话13912345678。",
        requester=c.Party(**party),
        location=c.Location(admin_code="131082", address="三河市燕郊镇某小区"),
        category=c.Category(code="HOUSING.HEATING", source_code="H0101"),
        status=c.STATUS_REFERRED,
        received_at=Timestamp(seconds=1795000000),
    )


@pytest.mark.parametrize(
    ("name", "masked"),
    [("王芳", "王*"), ("欧阳娜娜", "欧***"), ("张三丰", "张**"), (" 李 ", "李"), ("", ""), ("John Smith", "J*** *****"),
     ("阿卜杜·热合曼", "阿**·***")],
)  # fmt: skip
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+8613912345678", "+86139****5678"),
        ("+863165551234", "+8631****1234"),  # Langfang landline 0316-5551234
        ("+861012345678", "+8610****5678"),  # Beijing landline 010-12345678
        ("+85291234567", "+852****4567"),  # Hong Kong mobile
        ("139-1234", "1****34"),  # an invalid number kept raw: digits only, 4 masked
        ("", ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_requester_key_is_a_keyed_hash_of_the_normalised_number():
    key = requester_key(SECRET, c.ID_TYPE_RESIDENT_ID, ID_NUMBER)
    assert len(key) == 64 and int(key, 16) >= 0
    assert ID_NUMBER not in key and ID_NUMBER.lower() not in key
    # full-width, lower-case x and spaces are the same person
    assert requester_key(SECRET, c.ID_TYPE_RESIDENT_ID, "１１０１０５ 19491231002x") == key
    # the id type is not part of the key: systems disagree on it for the same document
    assert requester_key(SECRET, c.ID_TYPE_OTHER, ID_NUMBER) == key
    # another secret, another key: nobody without the federation secret can recompute it
    assert requester_key(b"another-secret", c.ID_TYPE_RESIDENT_ID, ID_NUMBER) != key


def test_phone_keys_agree_across_written_forms_and_differ_from_id_keys():
    key = requester_key(SECRET, c.ID_TYPE_UNSPECIFIED, PHONE)
    for written in ("139 1234 5678", "139-1234-5678", "１３９１２３４５６７８", "+86 139 1234 5678"):
        assert requester_key(SECRET, c.ID_TYPE_UNSPECIFIED, written) == key
    # the same digits as an id number are a different namespace
    assert requester_key(SECRET, c.ID_TYPE_OTHER, "13912345678") != requester_key(
        SECRET, c.ID_TYPE_UNSPECIFIED, "13912345678"
    )


def test_no_key_without_a_value_and_never_without_a_secret():
    assert requester_key(SECRET, c.ID_TYPE_RESIDENT_ID, " ") == ""
    assert requester_key(SECRET, c.ID_TYPE_UNSPECIFIED, "") == ""
    with pytest.raises(ValueError, match="secret"):
        requester_key(b"", c.ID_TYPE_RESIDENT_ID, ID_NUMBER)


def test_party_key_prefers_the_id_then_the_phone_and_anonymous_has_none():
    by_id = party_key(c.Party(id_type=c.ID_TYPE_RESIDENT_ID, id_number=ID_NUMBER, phone=PHONE), SECRET)
    assert by_id == requester_key(SECRET, c.ID_TYPE_RESIDENT_ID, ID_NUMBER)
    assert party_key(c.Party(phone=PHONE), SECRET) == requester_key(SECRET, c.ID_TYPE_UNSPECIFIED, PHONE)
    assert party_key(c.Party(anonymous=True), SECRET) == ""


def test_digest_keeps_what_sharing_needs_and_no_raw_personal_data():
    case = make_case()
    case.title = f"王芳（{ID_NUMBER}，电话139 1234 5678 / 13912345678）反映供暖"
    digest = digest_case(case, SECRET)
    assert (digest.case_id, digest.origin, digest.kind) == (case.case_id, case.origin, case.kind)
    assert (digest.admin_code, digest.category_code, digest.status) == ("131082", "HOUSING.HEATING", c.STATUS_REFERRED)
    assert digest.received_at == case.received_at
    assert (digest.masked_name, digest.masked_phone) == ("王*", "+86139****5678")
    assert digest.requester_key == requester_key(SECRET, c.ID_TYPE_RESIDENT_ID, ID_NUMBER)
    assert digest.title.startswith("王*（110") and digest.title.endswith("反映供暖")
    wire = digest.SerializeToString() + MessageToJson(digest, ensure_ascii=False).encode()
    for raw in (ID_NUMBER, "13912345678", PHONE, "王芳", "1234 5678"):
        assert raw.encode() not in wire, raw


def test_anonymous_digest_has_no_masked_data_and_no_key():
    case = make_case(name="", id_number="", phone="", id_type=c.ID_TYPE_UNSPECIFIED, anonymous=True)
    digest = digest_case(case, SECRET)
    assert (digest.masked_name, digest.masked_phone, digest.requester_key) == ("", "", "")


def test_redact_text_masks_full_width_numbers_too():
    assert "１３９１２３４５６７８" not in redact_text("电话１３９１２３４５６７８", c.Party())
    assert redact_text("2026年10月1日到期", c.Party()) == "2026年10月1日到期"  # short numbers stay


cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


def resident_ids() -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=17, max_size=17).map(lambda first: first + gb11643_check_digit(first))


@settings(max_examples=200, deadline=None)
@given(
    name=st.text(cjk, min_size=2, max_size=4),
    id_number=resident_ids(),
    mobile=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    filler=st.text(cjk, max_size=20),
)
def test_no_raw_id_phone_or_name_in_any_serialized_digest(name, id_number, mobile, filler):
    case = make_case(name=name, id_number=id_number, phone="+86" + mobile)
    case.title = f"{filler}{name}{id_number}{filler}{mobile}"
    digest = digest_case(case, SECRET)
    wire = digest.SerializeToString()
    as_json = json.dumps(json.loads(MessageToJson(digest)), ensure_ascii=False).encode()
    for raw in (id_number, mobile, name):
        assert raw.encode() not in wire
        assert raw.encode() not in as_json


PHONES = st.one_of(st.just(""), st.just(PHONE), st.just(" 139 1234 5678 "), st.just("+861012345678"),
                   st.from_regex(r"\+?[0-9 -]{0,16}", fullmatch=True))


@given(phone=PHONES, title=st.text(alphabet="王芳电话+0123456789 -１３９", max_size=40))
def test_a_digest_masks_its_title_as_redact_text_alone_does(phone, title):
    # digest_case parses the phone once and hands the mask to redact_text: the same text as working it out again.
    case = make_case(phone=phone, name="王芳")
    case.title = title
    assert digest_case(case, SECRET).title == redact_text(title, case.requester)
    assert redact_text(title, case.requester, masked_phone=mask_phone(phone)) == redact_text(title, case.requester)


@given(st.one_of(st.text(alphabet="0123456789", min_size=11, max_size=11), st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)))
def test_an_e164_cn_number_is_masked_as_the_library_splits_it(national):
    import phonenumbers

    from kernel.domain.privacy import _mask_digits

    raw = "+86" + national
    number = phonenumbers.parse(raw, None)
    expected = f"+{number.country_code}{_mask_digits(phonenumbers.national_significant_number(number))}"
    assert mask_phone(raw) == expected
