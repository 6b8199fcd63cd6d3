"""schemas/tianjin/workorder.xsd, codes.yaml and the mapper say the same thing.

- every element and attribute declared in the XSD is read by the mapper, and the
  mapper reads nothing the XSD does not declare (documents generated from the XSD,
  with every declared element and attribute, map with no extensions left over);
- anything not declared, on any declared element, is kept as an extension;
- enumerations equal codes.yaml, the OrderNo pattern and the versions equal the mapper's;
- rendered documents are valid against the XSD.
"""

from __future__ import annotations

import itertools
import re
from xml.etree.ElementTree import Element, SubElement

import pytest

from kernel.codec import Accepted
from adapters.tianjin import parser, to_common
from adapters.tianjin.extensions import attribute_key, child_path
from adapters.tianjin.renderer import serialize
from adapters.tianjin.tables import NAMESPACE, ORDER_NO_PATTERN, TABLE_FIELDS, VERSIONS, codes_yaml
from adapters.tianjin.xsd import Schema, schema
from tests.adapters.tianjin.support import FIXED_NOW, codec, sample_bytes
from tests.support.expected import samples

# Values that make a generated document a valid, flag-free order.
PATH_VALUES = {
    "WorkOrder@type": "PETITION",  # so that Petition is read too
    "Caller@anonymous": "false",  # an anonymous caller's identity would be dropped, not read
    "Caller/Certificate": "120101198505050018",
    "Caller/Phone": "23456789",
    "Caller/Phone@area": "022",
}
TYPE_VALUES = {
    "OrderNo": "TJ-26-1124-000567",
    "BeijingTime": "20261124093012",
    "MobileNumber": "13602123456",
    "AdminCode": "120101",
    "StreetCode": "120101002",
    "Longitude": "117.2073",
    "Latitude": "39.1238",
    "CategoryCode": "2103",
    "boolean": "true",
    "nonNegativeInteger": "5",
    "anyURI": "https://example.org/files/1",
}


def _value(xsd: Schema, path: str, type_name: str | None) -> str:
    if path in PATH_VALUES:
        return PATH_VALUES[path]
    if type_name in TYPE_VALUES:
        return TYPE_VALUES[type_name]
    simple = xsd.simple_type_of(type_name)
    if simple is not None and simple.enumerations:
        return simple.enumerations[0]
    return f"value of {path}"


def _choice_groups(xsd: Schema) -> list[tuple[str, ...]]:
    return [group for complex_type in xsd.complex_types.values() for group, _minimum in complex_type.choices]


def generate(xsd: Schema, picks: dict[tuple[str, ...], str], extra_attribute: str = "", extra_child: str = "") -> Element:
    """A WorkOrder with every declared element (one alternative of each choice) and attribute."""

    def build(parent: Element | None, name: str, declared, path: str) -> Element:
        element = Element(name) if parent is None else SubElement(parent, name)
        if extra_attribute:
            element.set(extra_attribute, "extra")
        complex_type = xsd.complex_of(declared)
        if complex_type is None:
            element.text = _value(xsd, path or name, declared.type_name)
        else:
            fill(element, complex_type, path)
        if extra_child:
            SubElement(element, extra_child).text = "extra"
        return element

    def fill(element: Element, complex_type, path: str) -> None:
        for attribute_name, attribute in complex_type.attributes.items():
            element.set(attribute_name, _value(xsd, attribute_key(path, attribute_name), attribute.type_name))
        if complex_type.text_type:
            element.text = _value(xsd, path, complex_type.text_type)
        skipped = {name for group, chosen in picks.items() for name in group if name != chosen}
        for child_name, child in complex_type.children.items():
            if child_name not in skipped:
                build(element, child_name, child, child_path(path, child_name))

    return build(None, "WorkOrder", xsd.elements["WorkOrder"], "")


def variants(xsd: Schema) -> list[dict[tuple[str, ...], str]]:
    groups = _choice_groups(xsd)
    return [dict(zip(groups, chosen)) for chosen in itertools.product(*groups)]


def _strip_indices(path: str) -> str:
    return re.sub(r"\[\d+\]", "", path)


def test_schema_namespace_and_order_number_and_versions_match_the_adapter():
    xsd = schema()
    assert xsd.target_namespace == NAMESPACE
    assert xsd.simple_types["TianjinOrderNo"].patterns == (ORDER_NO_PATTERN,)
    assert xsd.simple_types["VersionCode"].enumerations == VERSIONS


def _type_at(xsd: Schema, path: str) -> str | None:
    element_part, _, attribute = path.partition("@")
    declared = xsd.elements["WorkOrder"]
    steps = [] if element_part == "WorkOrder" else element_part.split("/")
    for step in steps:
        declared = xsd.complex_of(declared).children[step]
    if attribute:
        return xsd.complex_of(declared).attributes[attribute].type_name
    return declared.type_name


@pytest.mark.parametrize("key", sorted(TABLE_FIELDS))
def test_enumerations_equal_codes_yaml(key):
    xsd = schema()
    _attribute, _enum, field = TABLE_FIELDS[key]
    simple = xsd.simple_types[_type_at(xsd, field)]
    assert list(simple.enumerations) == list(codes_yaml()[key]["codes"])


def test_every_code_list_in_the_xsd_has_a_table():
    xsd = schema()
    used = {_type_at(xsd, field) for _a, _e, field in TABLE_FIELDS.values()} | {"VersionCode"}
    enumerated = {name for name, simple in xsd.simple_types.items() if simple.enumerations}
    assert enumerated == used


def test_declared_paths_are_exactly_what_the_mapper_reads():
    xsd = schema()
    declared = xsd.declared_paths()
    read: set[str] = set()
    for picks in variants(xsd):
        element = generate(xsd, picks)
        assert xsd.problems(element) == []
        found: set[str] = set()
        case = to_common.order_to_case(element, raw=b"", mapped_at=FIXED_NOW, read_paths=found)
        assert dict(case.extensions) == {}, picks
        assert list(case.quality_flags) == [], picks
        read |= {_strip_indices(path) for path in found}
    assert read == declared


def test_generated_document_goes_through_the_whole_codec():
    xsd = schema()
    for picks in variants(xsd):
        outcomes = list(codec().decode(serialize(generate(xsd, picks))))
        assert len(outcomes) == 1 and isinstance(outcomes[0], Accepted)


def test_anything_undeclared_on_any_declared_element_is_kept():
    xsd = schema()
    picks = variants(xsd)[0]
    element = generate(xsd, picks, extra_attribute="zzExtra", extra_child="ZzExtra")
    case = to_common.order_to_case(element, raw=b"", mapped_at=FIXED_NOW)
    keys = set(case.extensions)
    for path in xsd.declared_paths():
        if "@" in path:
            continue
        relative = "" if path == "WorkOrder" else path
        if any(name in path.split("/") for group, chosen in picks.items() for name in group if name != chosen):
            continue
        indexed = re.sub(r"(Handler|Step|File)(?=/|$)", r"\1[0]", relative)
        assert "tianjin." + attribute_key(indexed, "zzExtra") in keys, path
        assert "tianjin." + child_path(indexed, "ZzExtra") in keys, path


@pytest.mark.parametrize("key", samples("tianjin", "valid"))
def test_samples_and_their_renderings_are_valid(key):
    content = sample_bytes(key)
    for record in parser.parse_document(content).records:
        assert schema().problems(record.element) == []
    cases, _ = codec().decode_all(content)
    for record in parser.parse_document(codec().encode(cases)).records:
        assert schema().problems(record.element) == []


def test_the_checker_finds_problems():
    xsd = schema()
    element = generate(xsd, variants(xsd)[0])
    element.find("Source").text = "PHONE"
    element.remove(element.find("AcceptedAt"))
    element.find("Place/Coord").set("lat", "95")
    problems = xsd.problems(element)
    assert any("Source" in p and "PHONE" in p for p in problems)
    assert any("AcceptedAt" in p and "missing" in p for p in problems)
    assert any("Coord" in p and "95" in p for p in problems)
