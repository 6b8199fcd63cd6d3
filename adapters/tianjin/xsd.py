"""schemas/tianjin/workorder.xsd as data: declared paths, code lists, and a structural check.

Python has no XSD 1.1 processor in the standard library (and the project adds no
lxml/xmlschema), so this module reads the subset of XSD the schema file uses
(named and anonymous complex types, sequence/choice, simpleContent extensions,
attributes, simple-type restrictions with enumeration/pattern/minLength/min- and
maxInclusive, unions, a few built-ins) and checks an element tree against it.
Open content (unknown elements and attributes) is allowed, as in the schema;
xs:assert is not evaluated (to_common enforces those rules itself).

Used by tests to keep the XSD, to_common and codes.yaml in step, and to check
that rendered documents, including those for foreign cases, are valid.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET

from kernel.tables import SCHEMAS_DIR
from adapters.tianjin.extensions import attribute_key, child_path, element_key

XSD_FILE = SCHEMAS_DIR / "tianjin" / "workorder.xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"

_BUILTIN_PATTERNS = {
    "boolean": re.compile(r"true|false|1|0"),
    "decimal": re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"),
    "nonNegativeInteger": re.compile(r"\+?[0-9]+"),
}
_COLLAPSED = {"token", "boolean", "decimal", "nonNegativeInteger", "anyURI"}


@dataclass
class SimpleType:
    name: str
    base: str = "string"  # a built-in local name, or another SimpleType's name
    enumerations: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    min_length: int | None = None
    min_inclusive: float | None = None
    max_inclusive: float | None = None
    members: tuple[str, ...] = ()  # for a union


@dataclass
class ElementDecl:
    name: str
    type_name: str | None  # named type, or None when `complex` is inline
    min_occurs: int = 1
    max_occurs: int | None = 1  # None: unbounded
    complex: ComplexType | None = None


@dataclass
class AttributeDecl:
    name: str
    type_name: str
    required: bool = False
    default: str | None = None


@dataclass
class ComplexType:
    children: dict[str, ElementDecl] = field(default_factory=dict)
    attributes: dict[str, AttributeDecl] = field(default_factory=dict)
    text_type: str | None = None  # simpleContent base
    # (alternatives, minOccurs of the choice): at most one, and at least one unless optional.
    choices: list[tuple[tuple[str, ...], int]] = field(default_factory=list)


def _local(qname: str | None) -> str:
    return (qname or "").split(":")[-1]


class Schema:
    def __init__(self, root: Element) -> None:
        self.target_namespace = root.get("targetNamespace", "")
        self.simple_types: dict[str, SimpleType] = {}
        self.complex_types: dict[str, ComplexType] = {}
        self.elements: dict[str, ElementDecl] = {}
        for node in root:
            if node.tag == XS + "simpleType":
                self.simple_types[node.get("name")] = self._simple(node)
            elif node.tag == XS + "complexType":
                self.complex_types[node.get("name")] = self._complex(node)
        for node in root.findall(XS + "element"):
            self.elements[node.get("name")] = self._element(node)

    # -- reading the XSD
    def _simple(self, node: Element) -> SimpleType:
        simple = SimpleType(node.get("name", ""))
        union = node.find(XS + "union")
        if union is not None:
            simple.members = tuple(_local(name) for name in union.get("memberTypes", "").split())
            return simple
        restriction = node.find(XS + "restriction")
        simple.base = _local(restriction.get("base"))
        facets = {child.tag[len(XS) :]: [] for child in restriction}
        for child in restriction:
            facets[child.tag[len(XS) :]].append(child.get("value"))
        simple.enumerations = tuple(facets.get("enumeration", ()))
        simple.patterns = tuple(facets.get("pattern", ()))
        if "minLength" in facets:
            simple.min_length = int(facets["minLength"][0])
        if "minInclusive" in facets:
            simple.min_inclusive = float(facets["minInclusive"][0])
        if "maxInclusive" in facets:
            simple.max_inclusive = float(facets["maxInclusive"][0])
        return simple

    def _complex(self, node: Element) -> ComplexType:
        complex_type = ComplexType()
        self._particles(node, complex_type)
        content = node.find(XS + "simpleContent")
        if content is not None:
            extension = content.find(XS + "extension")
            complex_type.text_type = _local(extension.get("base"))
            self._attributes(extension, complex_type)
        self._attributes(node, complex_type)
        return complex_type

    def _particles(self, node: Element, complex_type: ComplexType) -> None:
        for group in node:
            if group.tag in (XS + "sequence", XS + "choice"):
                names = []
                for particle in group:
                    if particle.tag == XS + "element":
                        declared = self._element(particle)
                        complex_type.children[declared.name] = declared
                        names.append(declared.name)
                    elif particle.tag in (XS + "sequence", XS + "choice"):
                        wrapper = Element("wrap")
                        wrapper.append(particle)
                        self._particles(wrapper, complex_type)
                if group.tag == XS + "choice":
                    # Each alternative is optional on its own; the choice says how many in all.
                    for name in names:
                        complex_type.children[name].min_occurs = 0
                    complex_type.choices.append((tuple(names), int(group.get("minOccurs", "1"))))

    def _attributes(self, node: Element, complex_type: ComplexType) -> None:
        for attribute in node.findall(XS + "attribute"):
            name = attribute.get("name")
            complex_type.attributes[name] = AttributeDecl(
                name, _local(attribute.get("type")), attribute.get("use") == "required", attribute.get("default")
            )

    def _element(self, node: Element) -> ElementDecl:
        ref = node.get("ref")
        maximum = node.get("maxOccurs", "1")
        declared = ElementDecl(
            name=_local(ref) if ref else node.get("name"),
            type_name=_local(node.get("type")) if node.get("type") else None,
            min_occurs=int(node.get("minOccurs", "1")),
            max_occurs=None if maximum == "unbounded" else int(maximum),
        )
        inline = node.find(XS + "complexType")
        if inline is not None:
            declared.complex = self._complex(inline)
        return declared

    # -- using it
    def complex_of(self, declared: ElementDecl) -> ComplexType | None:
        if declared.complex is not None:
            return declared.complex
        if ref := self.elements.get(declared.name):
            if declared.type_name is None and ref is not declared:
                return self.complex_of(ref)
        return self.complex_types.get(declared.type_name or "")

    def simple_type_of(self, type_name: str | None) -> SimpleType | None:
        return self.simple_types.get(type_name or "")

    def declared_paths(self, root: str = "WorkOrder") -> set[str]:
        """Every element and attribute under `root`, in the extension path convention (no indices)."""
        paths: set[str] = set()

        def walk(declared: ElementDecl, path: str) -> None:
            paths.add(element_key(path))
            complex_type = self.complex_of(declared)
            if complex_type is None:
                return
            for name in complex_type.attributes:
                paths.add(attribute_key(path, name))
            for name, child in complex_type.children.items():
                walk(child, child_path(path, name))

        walk(self.elements[root], "")
        return paths

    def value_problems(self, type_name: str | None, value: str) -> list[str]:
        if type_name is None:
            return []
        simple = self.simple_types.get(type_name)
        if simple is None:
            if type_name in _COLLAPSED:
                value = " ".join(value.split())
            pattern = _BUILTIN_PATTERNS.get(type_name)
            return [] if pattern is None or pattern.fullmatch(value) else [f"{value!r} is not an xs:{type_name}"]
        if simple.members:
            if any(not self.value_problems(member, value) for member in simple.members):
                return []
            return [f"{value!r} is none of {', '.join(simple.members)}"]
        problems = self.value_problems(simple.base, value)
        if self._collapses(simple):
            value = " ".join(value.split())
        if simple.enumerations and value not in simple.enumerations:
            problems.append(f"{value!r} is not in {simple.name} ({', '.join(simple.enumerations)})")
        for pattern in simple.patterns:
            if re.fullmatch(pattern, value) is None:
                problems.append(f"{value!r} does not match {simple.name} pattern {pattern}")
        if simple.min_length is not None and len(value) < simple.min_length:
            problems.append(f"{value!r} is shorter than {simple.min_length}")
        if simple.min_inclusive is not None or simple.max_inclusive is not None:
            try:
                number = float(value)
            except ValueError:
                return problems
            low = simple.min_inclusive if simple.min_inclusive is not None else float("-inf")
            high = simple.max_inclusive if simple.max_inclusive is not None else float("inf")
            if not low <= number <= high:
                problems.append(f"{value} is outside [{low:g}, {high:g}]")
        return problems

    def _collapses(self, simple: SimpleType) -> bool:
        base = simple.base
        while base in self.simple_types:
            base = self.simple_types[base].base
        return base in _COLLAPSED

    def problems(self, element: Element) -> list[str]:
        """Ways a (namespace-stripped) WorkOrder or WorkOrders tree breaks the schema."""
        declared = self.elements.get(element.tag)
        if declared is None:
            return [f"{element.tag}: not a root element of the schema"]
        return list(self._check(element, declared, element.tag))

    def _check(self, element: Element, declared: ElementDecl, path: str) -> Iterator[str]:
        complex_type = self.complex_of(declared)
        if complex_type is None:
            yield from (f"{path}: {p}" for p in self.value_problems(declared.type_name, element.text or ""))
            if len(element) or element.attrib:
                yield f"{path}: a simple-typed element has attributes or children"
            return
        for name, attribute in complex_type.attributes.items():
            value = element.get(name)
            if value is None:
                if attribute.required:
                    yield f"{path}@{name}: required attribute missing"
                continue
            yield from (f"{path}@{name}: {p}" for p in self.value_problems(attribute.type_name, value))
        if complex_type.text_type:
            yield from (f"{path}: {p}" for p in self.value_problems(complex_type.text_type, element.text or ""))
        for name, child in complex_type.children.items():
            found = [e for e in element if e.tag == name]
            if len(found) < child.min_occurs:
                yield f"{path}/{name}: required element missing"
            if child.max_occurs is not None and len(found) > child.max_occurs:
                yield f"{path}/{name}: {len(found)} times, at most {child.max_occurs}"
            for index, found_element in enumerate(found):
                yield from self._check(found_element, child, f"{path}/{name}[{index}]")
        for group, minimum in complex_type.choices:
            present = [name for name in group if element.find(name) is not None]
            if len(present) < minimum:
                yield f"{path}: one of {', '.join(group)} required"
            if len(present) > 1:
                yield f"{path}: only one of {', '.join(group)} allowed, got {', '.join(present)}"


@functools.cache
def schema() -> Schema:
    return Schema(SafeET.parse(str(XSD_FILE), forbid_dtd=True).getroot())
