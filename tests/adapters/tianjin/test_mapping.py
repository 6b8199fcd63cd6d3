"""Field-by-field rules of the Tianjin mapping: rejections, flags, normalisation, extensions, rendering."""

from __future__ import annotations

import pytest

from kernel.codec import Accepted, MappingError, Rejected
from kernel.normalize import geo, taxonomy
from adapters.tianjin import parser
from adapters.tianjin.tables import TABLE_FIELDS, codes_yaml, tables
from adapters.tianjin.xsd import schema
from jjj.case.v1 import case_pb2
from tests.adapters.tianjin.support import codec, same_case

NS = "urn:tj12345:workorder:2"

PARTS = {
    "OrderNo": "<OrderNo>TJ-26-1124-000567</OrderNo>",
    "Source": "<Source>HOTLINE</Source>",
    "Kind": "<Kind>COMPLAINT</Kind>",
    "Caller": '<Caller anonymous="false"><Name>李娜</Name>'
    '<Certificate type="ID">120101198505050018</Certificate><Mobile>13602123456</Mobile></Caller>',
    "Subject": "<Subject>暖气不热</Subject>",
    "Description": "<Description>南京路100号小区暖气室温只有14度。</Description>",
    "Place": '<Place district="120101" street="120101002"><Address>天津市和平区南京路100号</Address>'
    '<Coord crs="BD09" lng="117.2073" lat="39.1238"/></Place>',
    "Category": '<Category code="2103">供热</Category>',
    "Priority": "<Priority>NORMAL</Priority>",
    "AcceptedAt": "<AcceptedAt>20261124093012</AcceptedAt>",
    "DueAt": "<DueAt>20261201173000</DueAt>",
    "State": "<State>PROCESSING</State>",
    "Handlers": '<Handlers><Handler code="TJHP01" role="main">和平区供热办</Handler></Handlers>',
    "Trail": '<Trail><Step at="20261124094000" action="DISPATCH" by="派单员3">请核实室温</Step></Trail>',
}
PETITION = '<Petition form="VISIT" persons="5" overLevel="true" repeat="false" firstTime="true" purpose="DEMAND"/>'


def document(*, root_attributes='version="2.1" type="HOTLINE"', extra="", **replace: str) -> bytes:
    parts = {**PARTS, **replace}
    body = "".join(part for part in parts.values() if part)
    return f'<WorkOrder xmlns="{NS}" {root_attributes}>{body}{extra}</WorkOrder>'.encode()


def one(content: bytes):
    outcomes = list(codec().decode(content))
    assert len(outcomes) == 1
    return outcomes[0]


def accepted(content: bytes) -> case_pb2.Case:
    outcome = one(content)
    assert isinstance(outcome, Accepted), outcome
    return outcome.case


def rejected(content: bytes) -> Rejected:
    outcome = one(content)
    assert isinstance(outcome, Rejected), outcome
    return outcome


def test_the_template_is_a_valid_order():
    case = accepted(document())
    assert case.case_id == "jjj:TJ:TJ-26-1124-000567"
    assert list(case.quality_flags) == [] and dict(case.extensions) == {}


# ---------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    "element", ["OrderNo", "Source", "Kind", "Caller", "Description", "Place", "Category", "Priority", "AcceptedAt", "State"]
)
def test_missing_required_element_is_rejected_naming_it(element):
    rejection = rejected(document(**{element: ""}))
    assert rejection.field == element
    assert element in rejection.message()


@pytest.mark.parametrize(
    ("replace", "field"),
    [
        ({"Description": "<Description>  \n </Description>"}, "Description"),
        ({"AcceptedAt": "<AcceptedAt></AcceptedAt>"}, "AcceptedAt"),
        ({"Source": "<Source> </Source>"}, "Source"),
        ({"Place": "<Place><Address>x</Address></Place>"}, "Place@district"),
        ({"Category": "<Category>供热</Category>"}, "Category@code"),
        ({"Caller": "<Caller/>"}, "Caller@anonymous"),
        ({"Caller": '<Caller anonymous="yes"/>'}, "Caller@anonymous"),
    ],
)
def test_empty_required_values_are_rejected(replace, field):
    assert rejected(document(**replace)).field == field


@pytest.mark.parametrize(
    ("root_attributes", "field"),
    [('type="HOTLINE"', "WorkOrder@version"), ('version="3.0" type="HOTLINE"', "WorkOrder@version"),
     ('version="2.1"', "WorkOrder@type"), ('version="2.1" type="REQUEST"', "WorkOrder@type")],
)
def test_root_attributes_are_required_and_closed(root_attributes, field):
    assert rejected(document(root_attributes=root_attributes)).field == field


@pytest.mark.parametrize(
    "order_no", ["2026112400123", "BJ-26-1124-000567", "TJ-26-1124-00567", "TJ-2026-1124-000567", "TJ-26-1332-000001",
                 "TJ-25-0229-000001", " TJ-26-1124-000567x"],
)
def test_foreign_or_malformed_order_numbers_are_rejected(order_no):
    rejection = rejected(document(OrderNo=f"<OrderNo>{order_no}</OrderNo>"))
    assert rejection.field == "OrderNo" and "OrderNo" in rejection.message()


def test_order_number_full_width_is_folded():
    case = accepted(document(OrderNo="<OrderNo>ＴＪ－２６－１１２４－０００５６７</OrderNo>"))
    assert case.native_id == "TJ-26-1124-000567"


@pytest.mark.parametrize(
    ("element", "value", "field"),
    [
        ("Source", "PHONE", "Source"),
        ("Kind", "PRAISES", "Kind"),
        ("Priority", "HIGH", "Priority"),
        ("State", "ACCEPTED", "State"),
    ],
)
def test_values_outside_closed_lists_are_rejected(element, value, field):
    rejection = rejected(document(**{element: f"<{element}>{value}</{element}>"}))
    assert rejection.field == field and value in rejection.reason


@pytest.mark.parametrize(
    ("replace", "field"),
    [
        ({"AcceptedAt": "<AcceptedAt>20260230093012</AcceptedAt>"}, "AcceptedAt"),
        ({"AcceptedAt": "<AcceptedAt>20261124253012</AcceptedAt>"}, "AcceptedAt"),
        ({"AcceptedAt": "<AcceptedAt>2026-11-24 09:30:12</AcceptedAt>"}, "AcceptedAt"),
        ({"AcceptedAt": "<AcceptedAt>2026112409301</AcceptedAt>"}, "AcceptedAt"),
        ({"DueAt": "<DueAt>20261131000000</DueAt>"}, "DueAt"),
        ({"Trail": '<Trail><Step at="20261124096000">x</Step></Trail>'}, "Trail/Step[0]@at"),
        ({"Caller": '<Caller anonymous="false"><Certificate type="IDCARD">1</Certificate></Caller>'},
         "Caller/Certificate@type"),
        ({"Place": '<Place district="120101"><Coord crs="GCJ02" lng="117.2" lat="39.1"/></Place>'}, "Place/Coord@crs"),
        ({"Place": '<Place district="120101"><Coord lng="east" lat="39.1"/></Place>'}, "Place/Coord@lng"),
        ({"Place": '<Place district="120101"><Coord lng="117.2" lat="91"/></Place>'}, "Place/Coord@lat"),
        ({"Place": '<Place district="120101"><Coord lng="nan" lat="39"/></Place>'}, "Place/Coord@lng"),
        ({"Place": '<Place district="120101"><Coord lng="117.2"/></Place>'}, "Place/Coord@lat"),
        ({"DueAt": '<Feedback contacted="maybe"/>'}, "Feedback@contacted"),
        ({"DueAt": '<Feedback satisfaction="OK"/>'}, "Feedback@satisfaction"),
        ({"DueAt": '<Attachments><File name="a" size="-1"/></Attachments>'}, "Attachments/File[0]@size"),
        ({"OrderNo": "<OrderNo>TJ-26-1124-000567</OrderNo><OrderNo>TJ-26-1124-000568</OrderNo>"}, "OrderNo"),
        ({"DueAt": PETITION}, "Petition"),
    ],
)
def test_impossible_or_ill_formed_values_are_rejected(replace, field):
    assert rejected(document(**replace)).field == field


def test_nested_work_order_is_rejected():
    assert rejected(document(extra="<WorkOrder/>")).field == "WorkOrder/WorkOrder"


@pytest.mark.parametrize(
    ("petition", "field"),
    [("", "Petition"), ('<Petition purpose="DEMAND"/>', "Petition@form"), ('<Petition form="VISIT"/>', "Petition@purpose"),
     ('<Petition form="EMAIL" purpose="DEMAND"/>', "Petition@form"),
     ('<Petition form="VISIT" purpose="DEMAND" persons="many"/>', "Petition@persons"),
     ('<Petition form="VISIT" purpose="DEMAND" repeat="often"/>', "Petition@repeat")],
)
def test_petition_rules(petition, field):
    content = document(root_attributes='version="2.1" type="PETITION"', extra=petition)
    assert rejected(content).field == field


# ---------------------------------------------------------------- mapping and quality flags


def test_times_are_beijing_time_converted_to_utc():
    case = accepted(document())
    assert case.received_at.ToJsonString() == "2026-11-24T01:30:12Z"
    assert case.due_at.ToJsonString() == "2026-12-01T09:30:00Z"
    assert case.history[0].at.ToJsonString() == "2026-11-24T01:40:00Z"


def test_handlers_and_trail():
    case = accepted(document())
    assert [(u.code, u.name, u.role) for u in case.handlers] == [("TJHP01", "和平区供热办", "main")]
    assert [(e.action, e.actor, e.note) for e in case.history] == [("DISPATCH", "派单员3", "请核实室温")]


@pytest.mark.parametrize(
    ("caller", "phone"),
    [
        ('<Mobile>13602123456</Mobile>', "+8613602123456"),
        ('<Mobile>１３６ ０２１２ ３４５６</Mobile>', "+8613602123456"),
        ('<Phone area="022">23456789</Phone>', "+862223456789"),
        ('<Phone area="0316">5551234</Phone>', "+863165551234"),
        ('<Phone>022-23456789</Phone>', "+862223456789"),
        ('<Phone>+852 9123 4567</Phone>', "+85291234567"),
    ],
)
def test_phones_become_e164(caller, phone):
    case = accepted(document(Caller=f'<Caller anonymous="false">{caller}</Caller>'))
    assert case.requester.phone == phone
    assert list(case.quality_flags) == []


def test_invalid_phone_is_kept_and_flagged_and_renders_back_where_it_came_from():
    for element in ('<Phone area="022">123</Phone>', "<Mobile>1360212345</Mobile>"):
        content = document(Caller=f'<Caller anonymous="false">{element}</Caller>')
        case = accepted(content)
        assert case.requester.phone in ("123", "1360212345")
        assert list(case.quality_flags) == ["requester.phone:invalid"]
        rendered = codec().encode([case])
        assert element.encode() in rendered
        assert same_case(accepted(rendered), case)


def test_resident_id_checksum_is_a_flag_not_a_rejection():
    caller = '<Caller anonymous="false"><Certificate type="ID">12010119850505001x</Certificate></Caller>'
    case = accepted(document(Caller=caller))
    assert case.requester.id_type == case_pb2.ID_TYPE_RESIDENT_ID
    assert case.requester.id_number == "12010119850505001X"
    assert list(case.quality_flags) == ["requester.id_number:checksum"]


def test_other_certificate_types_are_not_checksummed():
    caller = '<Caller anonymous="false"><Certificate type="HKMO">H12345678</Certificate></Caller>'
    case = accepted(document(Caller=caller))
    assert (case.requester.id_type, case.requester.id_number) == (case_pb2.ID_TYPE_HK_MACAO_PERMIT, "H12345678")
    assert list(case.quality_flags) == []


def test_anonymous_caller_never_carries_identity():
    caller = '<Caller anonymous="true"><Name n="1">李娜</Name><Mobile>13602123456</Mobile></Caller>'
    case = accepted(document(Caller=caller))
    assert case.requester == case_pb2.Party(anonymous=True)
    assert list(case.quality_flags) == ["requester.anonymous:identity_dropped"]
    assert "李娜" not in str(case) and "13602123456" not in str(case)


def test_coordinates_bd09_become_wgs84():
    case = accepted(document())
    assert case.location.source_crs == case_pb2.CRS_BD09
    assert case.location.point.latitude == pytest.approx(39.116928, abs=5e-5)
    assert case.location.point.longitude == pytest.approx(117.194435, abs=5e-5)
    back = geo.from_wgs84(case.location.point.longitude, case.location.point.latitude, case_pb2.CRS_BD09)
    assert back == pytest.approx((117.2073, 39.1238), abs=1e-8)


def test_coordinate_without_crs_is_bd09():
    case = accepted(document(Place='<Place district="120101"><Coord lng="117.2073" lat="39.1238"/></Place>'))
    assert case.location.source_crs == case_pb2.CRS_BD09
    assert case.location.point.latitude == pytest.approx(39.116928, abs=5e-5)


@pytest.mark.parametrize(
    ("replace", "flag"),
    [
        ({"Category": '<Category code="2999">新类别</Category>'}, "category:unknown_code"),
        ({"Place": '<Place district="129999"/>'}, "location.admin_code:unknown"),
        ({"Place": '<Place district="120101"><Coord lng="114.17" lat="22.30"/></Place>'}, "location.point:outside_mainland"),
    ],
)
def test_doubtful_data_is_accepted_and_flagged(replace, flag):
    case = accepted(document(**replace))
    assert list(case.quality_flags) == [flag]


def test_unknown_category_keeps_the_source_code_and_name():
    case = accepted(document(Category='<Category code="2999">新类别</Category>'))
    assert (case.category.code, case.category.source_code, case.category.source_name) == ("OTHER", "2999", "新类别")
    assert case.category.source_scheme == "tianjin-4digit"


def test_content_is_nfc_and_otherwise_untouched():
    decomposed = "Cafe\u0301 ＡＢＣ  \n 第二行"
    case = accepted(document(Description=f"<Description>{decomposed}</Description>"))
    assert case.content == "Café ＡＢＣ  \n 第二行"


def test_feedback_attachments_and_petition():
    extra = (
        '<Feedback contacted="true" satisfaction="BASIC"/>'
        '<Attachments><File name="照片.jpg" mime="image/jpeg" size="2048" sha256="ABCDEF" href="https://x/1"/></Attachments>'
        + PETITION
    )
    case = accepted(document(root_attributes='version="2.1" type="PETITION"', extra=extra))
    assert case.kind == case_pb2.CASE_KIND_PETITION
    assert case.feedback.HasField("contacted") and case.feedback.contacted
    assert not case.feedback.HasField("resolved")
    assert case.feedback.satisfaction == case_pb2.SATISFACTION_BASICALLY_SATISFIED
    assert case.attachments[0] == case_pb2.Attachment(
        name="照片.jpg", media_type="image/jpeg", size_bytes=2048, sha256="abcdef", uri="https://x/1"
    )
    assert case.petition == case_pb2.PetitionDetails(
        form=case_pb2.PETITION_FORM_VISIT, participants=5, bypassed_level=True, repeat=False, first_time=True,
        purpose=case_pb2.PETITION_PURPOSE_RESOLUTION,
    )


# ---------------------------------------------------------------- extensions


def test_unknown_elements_and_attributes_are_kept_with_documented_paths():
    content = document(
        root_attributes='version="2.1" type="HOTLINE" vendor="acme"',
        Caller='<Caller anonymous="false" channel="ivr"><Name x="1">李娜</Name><Nick>娜娜</Nick>'
        "<Mobile>13602123456</Mobile></Caller>",
        Handlers='<Handlers><Handler code="A">甲</Handler><Handler code="B" phone="022">乙</Handler></Handlers>',
        extra='<VendorTag>x9</VendorTag><Tag>a</Tag><Tag>b</Tag><Empty/>'
        '<Meta kind="k">note<Inner a="1">v</Inner></Meta>',
    )
    case = accepted(content)
    assert dict(case.extensions) == {
        "tianjin.WorkOrder@vendor": "acme",
        "tianjin.Caller@channel": "ivr",
        "tianjin.Caller/Name@x": "1",
        "tianjin.Caller/Nick": "娜娜",
        "tianjin.Handlers/Handler[1]@phone": "022",
        "tianjin.VendorTag": "x9",
        "tianjin.Tag[0]": "a",
        "tianjin.Tag[1]": "b",
        "tianjin.Empty": "",
        "tianjin.Meta@kind": "k",
        "tianjin.Meta": "note",
        "tianjin.Meta/Inner@a": "1",
        "tianjin.Meta/Inner": "v",
    }
    rendered = codec().encode([case])
    assert same_case(accepted(rendered), case)


def test_batch_root_attributes_are_kept_and_rendered_on_a_batch():
    order = document().decode().replace(f' xmlns="{NS}"', "")
    content = f'<WorkOrders xmlns="{NS}" sender="tj-hub">{order}</WorkOrders>'.encode()
    case = accepted(content)
    assert case.extensions["tianjin.WorkOrders@sender"] == "tj-hub"
    rendered = codec().encode([case])
    assert rendered.split(b"\n")[1].startswith(b"<WorkOrders ")
    assert same_case(accepted(rendered), case)


def test_batch_elements_that_are_not_work_orders_are_rejected_on_their_own():
    order = document().decode().replace(f' xmlns="{NS}"', "")
    content = f'<WorkOrders xmlns="{NS}"><Count>2</Count>{order}</WorkOrders>'.encode()
    outcomes = list(codec().decode(content))
    assert isinstance(outcomes[0], Rejected) and outcomes[0].record == 0 and outcomes[0].raw == b"<Count>2</Count>"
    assert isinstance(outcomes[1], Accepted)


def test_empty_batch_is_rejected():
    assert rejected(f'<WorkOrders xmlns="{NS}"/>'.encode()).field == "WorkOrders"


# ---------------------------------------------------------------- namespace and document shape


@pytest.mark.parametrize(
    "content",
    [
        f'<WorkOrder version="2.1" type="HOTLINE">{PARTS["OrderNo"]}</WorkOrder>',
        f'<WorkOrder xmlns="{NS}x" version="2.1" type="HOTLINE"/>',
        f'<WorkOrder xmlns="{NS}"><v:Tag xmlns:v="urn:vendor">1</v:Tag></WorkOrder>',
        f'<WorkOrder xmlns="{NS}" xmlns:v="urn:vendor" v:id="1"/>',
        f'<t:WorkOrder xmlns:t="{NS}"><OrderNo/></t:WorkOrder>',
    ],
)
def test_other_namespaces_are_rejected(content):
    assert "namespace" in rejected(content.encode()).message()


def test_prefixed_namespace_is_the_same_namespace():
    content = document().decode().replace(f'<WorkOrder xmlns="{NS}"', f'<t:WorkOrder xmlns:t="{NS}" xmlns="{NS}"')
    content = content.replace("</WorkOrder>", "</t:WorkOrder>")
    assert accepted(content.encode()).native_id == "TJ-26-1124-000567"


def test_unknown_root_element_is_rejected():
    assert "root element" in rejected(f'<Order xmlns="{NS}"/>'.encode()).reason


# ---------------------------------------------------------------- rendering


def beijing_case() -> case_pb2.Case:
    case = case_pb2.Case(
        case_id="jjj:BJ:2026112400123",
        origin=case_pb2.JURISDICTION_BEIJING,
        native_id="2026112400123",
        kind=case_pb2.CASE_KIND_PETITION,
        channel=case_pb2.CHANNEL_PUBLIC_SUGGESTION,
        request_type=case_pb2.REQUEST_TYPE_HELP,
        title="通勤",
        content="燕郊进京检查站排队太久。",
        requester=case_pb2.Party(name="王五", id_type=case_pb2.ID_TYPE_PASSPORT, id_number="E12345678",
                                 phone="+861012345678"),
        location=case_pb2.Location(admin_code="120116", address="滨海新区", source_crs=case_pb2.CRS_GCJ02,
                                   point=case_pb2.Point(latitude=39.0, longitude=117.7)),
        category=case_pb2.Category(code="TRANSPORT.COMMUTE", source_code="0202", source_name="进京通勤",
                                   source_scheme="beijing-3level"),
        urgency=case_pb2.URGENCY_CRITICAL,
        status=case_pb2.STATUS_RECEIVED,
        extensions={"beijing.lxr": "x", "tianjin.VendorTag": "kept"},
    )
    case.received_at.FromJsonString("2026-11-24T01:00:00Z")
    return case


def test_foreign_case_renders_a_valid_tianjin_document_with_tianjin_codes():
    rendered = codec().encode([beijing_case()])
    element = parser.parse_document(rendered).records[0].element
    assert schema().problems(element) == []
    assert element.findtext("OrderNo") == "2026112400123"
    assert element.findtext("Source") == "WEB"  # CHANNEL_PUBLIC_SUGGESTION
    assert element.findtext("State") == "DISPATCHED"  # STATUS_RECEIVED
    assert element.findtext("Priority") == "CRITICAL"
    assert element.find("Category").get("code") == taxonomy.source_code_for("tianjin-4digit", "TRANSPORT.COMMUTE") == "2202"
    assert element.findtext("Category") == "进京通勤"
    assert element.find("Caller/Phone").attrib == {"area": "010"} and element.findtext("Caller/Phone") == "12345678"
    assert element.find("Caller/Certificate").get("type") == "PASSPORT"
    assert element.find("Place/Coord").get("crs") == "BD09"
    assert element.find("Petition").attrib["form"] == "ONLINE" and element.find("Petition").attrib["purpose"] == "OTHER"
    assert element.findtext("AcceptedAt") == "20261124090000"
    assert element.findtext("VendorTag") == "kept" and b"lxr" not in rendered


def test_foreign_case_rendered_for_tianjin_is_not_taken_back_as_a_tianjin_order():
    rejection = rejected(codec().encode([beijing_case()]))
    assert rejection.field == "OrderNo"


def test_a_case_with_nothing_set_still_renders_well_formed_xml():
    rendered = codec().encode([case_pb2.Case()])
    element = parser.parse_document(rendered).records[0].element
    assert element.findtext("Source") == "HOTLINE" and element.findtext("State") == "NEW"
    assert element.find("Category").get("code") == "9999"


def test_several_cases_render_a_batch_and_none_an_empty_one():
    case = accepted(document())
    rendered = codec().encode([case, case])
    assert b"<WorkOrders xmlns=" in rendered and rendered.count(b"<WorkOrder ") == 2
    assert codec().encode([]).endswith(b'<WorkOrders xmlns="urn:tj12345:workorder:2"/>\n')


def test_characters_xml_cannot_carry_are_replaced_not_written():
    case = accepted(document())
    case.content = "a\x01b\x00c\r\nd"
    case.title = "\uffff"  # a noncharacter: valid in protobuf, not in XML
    again = accepted(codec().encode([case]))
    assert again.content == "a\ufffdb\ufffdc\r\nd"
    assert again.title == "\ufffd"


# ---------------------------------------------------------------- tables


def test_every_common_enum_value_renders_to_a_tianjin_code():
    for key, (attribute, enum, _field) in TABLE_FIELDS.items():
        table = getattr(tables(), attribute)
        natives = set(codes_yaml()[key]["codes"])
        for value in enum.values():
            if key in ("Certificate@type", "Feedback@satisfaction") and value == 0:
                continue  # optional attributes: UNSPECIFIED is not rendered at all
            assert table.to_native(value) in natives, (key, enum.Name(value))


def test_tianjin_codes_map_to_distinct_values_and_back():
    for key, (attribute, _enum, _field) in TABLE_FIELDS.items():
        table = getattr(tables(), attribute)
        for native in codes_yaml()[key]["codes"]:
            assert table.to_native(table.to_common(native)) == native


def test_unknown_code_names_the_native_field():
    with pytest.raises(MappingError) as error:
        tables().certificate_type.to_common("IDCARD")
    assert error.value.field == "Caller/Certificate@type"


def test_namespace_error_inside_one_order_of_a_batch_spoils_only_that_order():
    order = document().decode().replace(f' xmlns="{NS}"', "")
    foreign = order.replace("<Subject>", '<v:Tag xmlns:v="urn:vendor">1</v:Tag><Subject>')
    content = f'<WorkOrders xmlns="{NS}">{order}{foreign}{order}</WorkOrders>'.encode()
    outcomes = list(codec().decode(content))
    assert [type(outcome).__name__ for outcome in outcomes] == ["Accepted", "Rejected", "Accepted"]
    assert outcomes[1].record == 1 and "namespace" in outcomes[1].message()
    assert b"urn:vendor" in outcomes[1].raw and outcomes[1].raw.count(b"<WorkOrder ") == 1


def test_mobile_and_phone_both_given_the_mobile_wins_and_the_phone_is_kept():
    caller = '<Caller anonymous="false"><Mobile>13602123456</Mobile><Phone area="022">23456789</Phone></Caller>'
    case = accepted(document(Caller=caller))
    assert case.requester.phone == "+8613602123456"
    assert dict(case.extensions) == {"tianjin.Caller/Phone": "23456789", "tianjin.Caller/Phone@area": "022"}
    assert same_case(accepted(codec().encode([case])), case)


def test_extensions_never_overwrite_mapped_values():
    case = accepted(document())
    case.extensions["tianjin.OrderNo"] = "TJ-26-1124-999999"
    case.extensions["tianjin.Place@district"] = "110105"
    element = parser.parse_document(codec().encode([case])).records[0].element
    assert element.findtext("OrderNo") == "TJ-26-1124-000567"
    assert element.find("Place").get("district") == "120101"


def test_extension_keys_that_are_not_xml_names_are_skipped():
    case = accepted(document())
    case.extensions.update({"tianjin.Bad Name": "1", "tianjin.²": "2", "tianjin.a:b": "3", "tianjin.WorkOrder@xmlns": "x",
                            "tianjin.名称": "4"})
    again = accepted(codec().encode([case]))
    assert dict(again.extensions) == {"tianjin.名称": "4"}
