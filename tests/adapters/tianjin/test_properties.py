"""Properties: generated Tianjin cases survive common -> native -> common; nothing makes decode or encode raise."""

from __future__ import annotations

import datetime as dt
import unicodedata

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kernel.codec import Accepted, Rejected
from kernel.normalize.admin import known_admin_codes
from kernel.normalize.phone import normalize_phone
from kernel.normalize.resident_id import gb11643_check_digit
from kernel.normalize.taxonomy import map_category
from kernel.tables import load_csv
from adapters.tianjin import parser
from adapters.tianjin.tables import codes_yaml, tables
from adapters.tianjin.xsd import schema
from jjj.case.v1 import case_pb2
from tests.adapters.tianjin.support import codec, same_case, sample_bytes
from tests.support.expected import samples

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CATEGORIES = [(row["source_code"], row["source_name"]) for row in load_csv("taxonomy/crosswalk_tianjin.csv")]
ADMIN_CODES = sorted(code for code in known_admin_codes() if len(code) == 6)


def _native_values(key: str, enum) -> list[int]:
    return [enum.Value(name) for name in codes_yaml()[key]["codes"].values()]


# Characters XML 1.0 can carry (no C0 controls but tab, newline and CR; no surrogates or U+FFFE/F).
xml_char = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff") | st.sampled_from(
    "\t\n\r"
)
free_text = st.text(xml_char, max_size=40)
token = st.from_regex(r"[A-Za-z0-9._\-]{1,12}", fullmatch=True)
whole_seconds = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
    lambda value: value.replace(microsecond=0, tzinfo=dt.timezone.utc)
)


@st.composite
def order_numbers(draw) -> str:
    day = draw(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
    return f"TJ-{day:%y}-{day:%m%d}-{draw(st.integers(0, 999_999)):06d}"


@st.composite
def resident_ids(draw) -> tuple[str, bool]:
    first17 = draw(st.from_regex(r"1[0-9]{16}", fullmatch=True))
    check = gb11643_check_digit(first17)
    if draw(st.booleans()):
        return first17 + check, True
    return first17 + draw(st.sampled_from([c for c in "0123456789X" if c != check])), False


@st.composite
def phones(draw) -> tuple[str, bool]:
    kind = draw(st.sampled_from(["mobile", "tianjin", "langfang", "foreign", "invalid"]))
    if kind == "invalid":
        return draw(st.from_regex(r"[0-9]{3,5}", fullmatch=True)), False
    raw = {
        "mobile": st.from_regex(r"1(3[0-9]|5[0-35-9]|8[0-9])[0-9]{8}", fullmatch=True),
        "tianjin": st.from_regex(r"022[2-8][0-9]{7}", fullmatch=True),
        "langfang": st.from_regex(r"0316[2-8][0-9]{6}", fullmatch=True),
        "foreign": st.from_regex(r"\+8529[0-9]{7}", fullmatch=True),
    }[kind]
    result = normalize_phone(draw(raw))
    assume(result.valid)
    return result.value, True


@st.composite
def tianjin_cases(draw) -> case_pb2.Case:
    """A case as a Tianjin order gives it, quality flags included, so decode(encode(case)) == case."""
    native_id = draw(order_numbers())
    kind = draw(st.sampled_from(_native_values("WorkOrder@type", case_pb2.CaseKind)))
    case = case_pb2.Case(
        case_id="jjj:TJ:" + native_id,
        origin=case_pb2.JURISDICTION_TIANJIN,
        native_id=native_id,
        kind=kind,
        channel=draw(st.sampled_from(_native_values("Source", case_pb2.Channel))),
        request_type=draw(st.sampled_from(_native_values("Kind", case_pb2.RequestType))),
        title=draw(free_text),
        content=unicodedata.normalize("NFC", draw(free_text.filter(lambda text: text.strip()))),
        urgency=draw(st.sampled_from(_native_values("Priority", case_pb2.Urgency))),
        status=draw(st.sampled_from(_native_values("State", case_pb2.Status))),
    )
    flags: list[str] = []
    if draw(st.booleans()):
        case.requester.anonymous = True
    else:
        requester = case.requester
        requester.anonymous = False
        requester.name = draw(free_text)
        id_kind = draw(st.sampled_from(["none", "resident", "other"]))
        if id_kind == "resident":
            requester.id_type = case_pb2.ID_TYPE_RESIDENT_ID
            requester.id_number, checksum_ok = draw(resident_ids())
            if not checksum_ok:
                flags.append("requester.id_number:checksum")
        elif id_kind == "other":
            requester.id_type = draw(
                st.sampled_from([case_pb2.ID_TYPE_PASSPORT, case_pb2.ID_TYPE_HK_MACAO_PERMIT, case_pb2.ID_TYPE_OTHER])
            )
            requester.id_number = draw(st.from_regex(r"[A-Z0-9]{5,12}", fullmatch=True))
        if draw(st.booleans()):
            requester.phone, valid = draw(phones())
            if not valid:
                flags.append("requester.phone:invalid")
    location = case.location
    if draw(st.integers(0, 9)) == 0:
        location.admin_code = "129999"
        flags.append("location.admin_code:unknown")
    else:
        location.admin_code = draw(st.sampled_from(ADMIN_CODES))
    if draw(st.booleans()):
        location.street_code = location.admin_code + draw(st.from_regex(r"[0-9]{3,6}", fullmatch=True))
    location.address = draw(free_text)
    if draw(st.booleans()):
        outside = draw(st.integers(0, 9)) == 0
        lat = draw(st.floats(22.25, 22.35) if outside else st.floats(38.6, 40.2))
        lng = draw(st.floats(114.15, 114.25) if outside else st.floats(116.8, 118.0))
        location.point.latitude, location.point.longitude = lat, lng
        location.source_crs = case_pb2.CRS_BD09
        if outside:
            flags.append("location.point:outside_mainland")
    if draw(st.integers(0, 9)) == 0:
        code, name = "2999", draw(free_text)
    else:
        code, name = draw(st.sampled_from(CATEGORIES))
    match = map_category("tianjin-4digit", code)
    case.category.CopyFrom(
        case_pb2.Category(code=match.code, source_code=code, source_name=name, source_scheme="tianjin-4digit")
    )
    if not match.known:
        flags.append("category:unknown_code")
    case.received_at.FromDatetime(draw(whole_seconds))
    if draw(st.booleans()):
        case.due_at.FromDatetime(draw(whole_seconds))
    for _ in range(draw(st.integers(0, 3))):
        case.handlers.add(code=draw(st.from_regex(r"[A-Z0-9]{0,8}", fullmatch=True)), name=draw(free_text),
                          role=draw(free_text))
    for _ in range(draw(st.integers(0, 3))):
        event = case.history.add(action=draw(free_text), actor=draw(free_text), note=draw(free_text))
        if draw(st.booleans()):
            event.at.FromDatetime(draw(whole_seconds))
    if draw(st.booleans()):
        feedback = case.feedback
        feedback.SetInParent()
        for field in ("contacted", "resolved"):
            value = draw(st.none() | st.booleans())
            if value is not None:
                setattr(feedback, field, value)
        feedback.satisfaction = draw(st.sampled_from([0, *_native_values("Feedback@satisfaction", case_pb2.Satisfaction)]))
    for _ in range(draw(st.integers(0, 2))):
        case.attachments.add(
            name=draw(free_text), media_type=draw(st.sampled_from(["image/jpeg", "application/pdf"])),
            size_bytes=draw(st.integers(0, 2**40)), sha256=draw(st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
            uri=draw(st.sampled_from(["", "https://files.tj12345.example/a/1.jpg"])),
        )
    if kind == case_pb2.CASE_KIND_PETITION:
        case.petition.CopyFrom(
            case_pb2.PetitionDetails(
                form=draw(st.sampled_from(_native_values("Petition@form", case_pb2.PetitionForm))),
                participants=draw(st.integers(0, 500)),
                bypassed_level=draw(st.booleans()), repeat=draw(st.booleans()), first_time=draw(st.booleans()),
                purpose=draw(st.sampled_from(_native_values("Petition@purpose", case_pb2.PetitionPurpose))),
            )
        )
    for index in range(draw(st.integers(0, 2))):
        case.extensions[f"tianjin.Vendor{index}"] = draw(free_text)
    if draw(st.booleans()):
        case.extensions["tianjin.Place@zone"] = draw(free_text)
    case.quality_flags.extend(flags)
    return case


@SETTINGS
@given(tianjin_cases())
def test_common_native_common_gives_the_same_case(case):
    rendered = codec().encode([case])
    outcomes = list(codec().decode(rendered))
    assert len(outcomes) == 1 and isinstance(outcomes[0], Accepted), outcomes
    assert same_case(outcomes[0].case, case)


@SETTINGS
@given(st.lists(tianjin_cases(), min_size=2, max_size=4))
def test_a_batch_gives_back_every_case_in_order(cases):
    decoded, rejected = codec().decode_all(codec().encode(cases))
    assert rejected == []
    assert len(decoded) == len(cases)
    assert all(same_case(a, b) for a, b in zip(decoded, cases, strict=True))


@SETTINGS
@given(tianjin_cases())
def test_rendered_documents_of_sound_cases_are_valid_against_the_xsd(case):
    assume("requester.phone:invalid" not in case.quality_flags)
    element = parser.parse_document(codec().encode([case])).records[0].element
    assert schema().problems(element) == []


# ---------------------------------------------------------------- anything at all


def _enum_values(enum) -> st.SearchStrategy[int]:
    return st.sampled_from(list(enum.values()))


any_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@st.composite
def any_cases(draw) -> case_pb2.Case:
    """Cases as another jurisdiction might send them: any enum value, any text, any extension key."""
    case = case_pb2.Case(
        origin=draw(_enum_values(case_pb2.Jurisdiction)), native_id=draw(any_text),
        kind=draw(_enum_values(case_pb2.CaseKind)), channel=draw(_enum_values(case_pb2.Channel)),
        request_type=draw(_enum_values(case_pb2.RequestType)), title=draw(any_text), content=draw(any_text),
        urgency=draw(_enum_values(case_pb2.Urgency)), status=draw(_enum_values(case_pb2.Status)),
    )
    case.requester.CopyFrom(
        case_pb2.Party(name=draw(any_text), id_type=draw(_enum_values(case_pb2.IdType)), id_number=draw(any_text),
                       phone=draw(any_text | st.just("+8613602123456")), anonymous=draw(st.booleans()))
    )
    case.location.admin_code = draw(any_text)
    if draw(st.booleans()):
        case.location.point.latitude = draw(st.floats(-90, 90))
        case.location.point.longitude = draw(st.floats(-180, 180))
        case.location.source_crs = draw(_enum_values(case_pb2.Crs))
    case.category.code = draw(any_text | st.sampled_from(["HOUSING.HEATING", "OTHER", "TRANSPORT"]))
    case.category.source_scheme = draw(st.sampled_from(["beijing-3level", "hebei-letter5", "tianjin-4digit", ""]))
    if draw(st.booleans()):
        case.received_at.FromDatetime(draw(whole_seconds))
    case.feedback.satisfaction = draw(_enum_values(case_pb2.Satisfaction))
    case.petition.form = draw(_enum_values(case_pb2.PetitionForm))
    case.petition.purpose = draw(_enum_values(case_pb2.PetitionPurpose))
    for _ in range(draw(st.integers(0, 4))):
        key = draw(st.sampled_from(["tianjin.", "beijing.", ""])) + draw(any_text)
        case.extensions[key] = draw(any_text)
    case.handlers.add(code=draw(any_text), name=draw(any_text), role=draw(any_text))
    return case


@SETTINGS
@given(st.lists(any_cases(), min_size=1, max_size=3))
def test_encoding_any_case_gives_well_formed_xml_in_the_namespace(cases):
    rendered = codec().encode(cases)
    document = parser.parse_document(rendered)  # raises if not well-formed or wrong namespace
    assert len(document.records) == len(cases)
    outcomes = list(codec().decode(rendered))
    assert len(outcomes) == len(cases)
    for index, (outcome, case) in enumerate(zip(outcomes, cases)):
        if isinstance(outcome, Rejected):  # e.g. a generated order number that is not Tianjin's
            assert outcome.field and outcome.reason
            assert outcome.record == (index if len(cases) > 1 else -1)
        else:
            assert outcome.case.native_id == case.native_id


def _decode_never_raises(content: bytes) -> None:
    for outcome in codec().decode(content):
        if isinstance(outcome, Rejected):
            assert outcome.field and outcome.reason
        else:
            assert outcome.case.case_id == f"jjj:TJ:{outcome.case.native_id}" and outcome.case.native_id, outcome


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(content):
    _decode_never_raises(content)


VALID_SAMPLES = [sample_bytes(key) for key in samples("tianjin", "valid")]


@SETTINGS
@given(st.sampled_from(VALID_SAMPLES), st.data())
def test_mutated_samples_never_raise(content, data):
    start = data.draw(st.integers(0, len(content)))
    end = data.draw(st.integers(start, min(len(content), start + 40)))
    replacement = data.draw(st.binary(max_size=20) | st.sampled_from([b"<", b">", b"&", b'"', b"</X>", b"<X>", b"\x00"]))
    _decode_never_raises(content[:start] + replacement + content[end:])


@SETTINGS
@given(st.sampled_from(VALID_SAMPLES), st.data())
def test_mutated_text_never_raises(content, data):
    text = content.decode("utf-8-sig")
    start = data.draw(st.integers(0, len(text)))
    inserted = data.draw(any_text)
    mutated = text[:start] + inserted + text[start:]
    for encoding in ("utf-8", "utf-16", "gb18030", "latin-1"):
        _decode_never_raises(mutated.encode(encoding, errors="replace"))


def test_every_truncation_of_every_sample_is_handled():
    for content in VALID_SAMPLES:
        for end in range(len(content)):
            _decode_never_raises(content[:end])


def test_huge_fields_are_accepted_intact():
    content = sample_bytes("tianjin/samples/valid/tj_complaint_heping.xml").decode()
    words = "暖气不热。" * 400_000  # 2,000,000 characters, 6 MB
    content = content.replace("南京路100号小区暖气室温只有14度。", words)
    content = content.replace("<Name>李娜</Name>", "<Name>" + "名" * 100_000 + "</Name>")
    cases, rejected = codec().decode_all(content.encode())
    assert rejected == []
    assert cases[0].content == words and len(cases[0].requester.name) == 100_000


def test_huge_attribute_values_and_many_unknown_elements():
    content = sample_bytes("tianjin/samples/valid/tj_complaint_heping.xml").decode()
    content = content.replace('role="main"', 'role="' + "r" * 1_000_000 + '"')
    content = content.replace("</WorkOrder>", "<Tag>t</Tag>" * 5_000 + "</WorkOrder>")
    cases, rejected = codec().decode_all(content.encode())
    assert rejected == []
    assert len(cases[0].handlers[0].role) == 1_000_000
    assert len(cases[0].extensions) == 5_000 and cases[0].extensions["tianjin.Tag[4999]"] == "t"


def test_generated_states_are_exactly_the_tianjin_ones():
    # The strategies draw from codes.yaml, so a new Tianjin code is generated automatically.
    assert set(_native_values("State", case_pb2.Status)) == {
        tables().state.to_common(code) for code in codes_yaml()["State"]["codes"]
    }
