"""Bytes -> work-order elements, safely.

Safety: the document is parsed by defusedxml's expat parser with DTDs, entity
declarations and external references forbidden, so a billion-laughs or XXE
document fails at its <!DOCTYPE>, before any expansion and without opening any
file; the rejection names the rule, never the entity's value or system id.
Documents above MAX_DOCUMENT_BYTES or nested deeper than MAX_DEPTH are refused too.

Shape: UTF-8 (an optional byte order mark; an XML declaration naming another
encoding is refused), every element in namespace urn:tj12345:workorder:2 and no
namespaced attributes (the SPEC: other namespaces are an error). The root is one
<WorkOrder> or a <WorkOrders> batch. Element names are returned without the
namespace, so to_common works on local names only.

A batch gives one `ParsedRecord` per child element with the raw bytes of that
child (byte offsets from expat), so each order is mapped, accepted or rejected
on its own and quarantined with its own bytes (split_orders: the codec's records).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from kernel.codec import MappingError, Rejected
from adapters.tianjin.tables import BATCH_ROOT, NAMESPACE, SINGLE_ROOT

UTF8_BOM = b"\xef\xbb\xbf"
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 32
DOCUMENT_FIELD = "xml"

_DECLARED_ENCODING = re.compile(rb"<\?xml[^>]*?\bencoding\s*=\s*[\"']([^\"']*)[\"']")
_UTF8_NAMES = {"utf-8", "utf8"}
_QNAME_AT = re.compile(rb"<([^\s/>]+)")


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """One work order (or, in a batch, an element that is not one: `error` says why)."""

    element: Element | None
    raw: bytes
    error: MappingError | None = None


class Order(NamedTuple):
    """One <WorkOrder> to map (a kernel.codec.NativeRecord)."""

    element: Element
    raw: bytes
    # Position in a <WorkOrders> batch, -1 when the document is a single <WorkOrder>.
    index: int
    # Attributes of the batch root, kept as extensions of every order in it.
    batch_attributes: dict[str, str]
    row: int = 0


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    batch: bool
    records: list[ParsedRecord]
    # Attributes of a <WorkOrders> root (none are defined; kept as extensions).
    batch_attributes: dict[str, str] = field(default_factory=dict)


class _Builder:
    """Builds the element tree straight from expat's callbacks: checks and strips the
    namespace, limits depth and records the byte span of every child of the root.

    It is installed on the expat parser that DefusedXMLParser configured (its
    DOCTYPE, entity and external-reference guards stay in place); it replaces only
    ElementTree's pure-Python start/end/data plumbing, which costs a third of the
    decode time and would make us strip namespaces a second time.
    """

    def __init__(self, source: bytes, expat_parser) -> None:
        self.source = source
        self.expat = expat_parser
        self.root: Element | None = None
        self.spans: list[tuple[int, int]] = []
        # Batch record index -> the first namespace error inside that record.
        self.record_errors: dict[int, MappingError] = {}
        self._stack: list[Element] = []
        self._data: list[str] = []
        self._in_text = False  # True: character data is the text of _stack[-1]; False: a tail (layout)
        self._start = 0
        self._qname = b""
        expat_parser.StartElementHandler = self.start
        expat_parser.EndElementHandler = self.end
        expat_parser.CharacterDataHandler = self._data.append

    def _flush(self) -> None:
        if self._data:
            if self._in_text:
                self._stack[-1].text = "".join(self._data)
            self._data.clear()

    def start(self, tag: str, attributes: list[str]) -> None:
        self._flush()
        depth = len(self._stack) + 1
        if depth > MAX_DEPTH:
            raise MappingError(DOCUMENT_FIELD, f"elements nested deeper than {MAX_DEPTH} levels")
        if depth == 2:
            self._start = self.expat.CurrentByteIndex
            match = _QNAME_AT.match(self.source, self._start)
            self._qname = match.group(1) if match else b""
        namespace, _, local = tag.rpartition("}")
        # ordered_attributes: [name, value, name, value, ...]
        names = attributes[0::2]
        error = _namespace_error(namespace, local, names)
        if error is not None:
            if depth == 1 or self.root.tag != BATCH_ROOT:
                raise error
            # Inside a batch the error belongs to one order: the others still go through.
            self.record_errors.setdefault(len(self.spans), error)
        element = Element(local, dict(zip(names, attributes[1::2])))
        if self._stack:
            self._stack[-1].append(element)
        else:
            self.root = element
        self._stack.append(element)
        self._in_text = True

    def end(self, tag: str) -> None:
        self._flush()
        if len(self._stack) == 2:
            self.spans.append((self._start, self._end_of_element(self.expat.CurrentByteIndex)))
        self._stack.pop()
        self._in_text = False

    def _end_of_element(self, index: int) -> int:
        # expat reports an end tag at its "<"; an empty-element tag (<x/>) just after its "/>".
        end_tag = b"</" + self._qname
        after = index + len(end_tag)
        if self.source.startswith(end_tag, index) and self.source[after : after + 1] in (b">", b" ", b"\t", b"\r", b"\n"):
            close = self.source.find(b">", after)
            return close + 1 if close >= 0 else len(self.source)
        return index


def _namespace_error(namespace: str, local: str, attribute_names: list[str]) -> MappingError | None:
    if namespace != NAMESPACE:
        shown = namespace or "(none)"
        return MappingError(local, f"namespace {shown!r} is not the work-order namespace {NAMESPACE!r}")
    for name in attribute_names:
        if "}" in name:
            attribute_namespace, _, attribute = name.rpartition("}")
            return MappingError(
                f"{local}@{attribute}",
                f"attribute in namespace {attribute_namespace!r}: only unqualified attributes are allowed",
            )
    return None


class _Done:
    """The XMLParser target: nothing to do but exist (the _Builder holds the tree)."""

    def close(self) -> None:
        return None


def _check_encoding(body: bytes) -> None:
    declared = _DECLARED_ENCODING.match(body[:256])
    if declared and declared.group(1).decode("ascii", "replace").strip().lower() not in _UTF8_NAMES:
        raise MappingError(DOCUMENT_FIELD, "the XML declaration names an encoding other than UTF-8")
    if b"\x00" in body:
        # NUL is never in an XML document; expat would otherwise read BOM-less UTF-16.
        raise MappingError(DOCUMENT_FIELD, "document holds NUL bytes: not UTF-8 XML (UTF-16?)")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MappingError(DOCUMENT_FIELD, f"document is not UTF-8 (bad byte at offset {error.start})") from None


def _parse_tree(body: bytes) -> _Builder:
    parser = DefusedXMLParser(
        target=_Done(), encoding="utf-8", forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    builder = _Builder(body, parser.parser)
    try:
        parser.feed(body)
        parser.close()
    except DTDForbidden:
        raise MappingError(DOCUMENT_FIELD, "a DTD (<!DOCTYPE>) is not allowed in a work order (xml security)") from None
    except EntitiesForbidden:
        raise MappingError(DOCUMENT_FIELD, "entity declarations are not allowed (xml security)") from None
    except ExternalReferenceForbidden:
        raise MappingError(DOCUMENT_FIELD, "external references are not allowed (xml security)") from None
    except DefusedXmlException:
        raise MappingError(DOCUMENT_FIELD, "forbidden xml construct") from None
    except ParseError as error:
        raise MappingError(DOCUMENT_FIELD, f"malformed xml: {error}") from None
    if builder.root is None:  # pragma: no cover - expat reports "no element found" first
        raise MappingError(DOCUMENT_FIELD, "malformed xml: no element found")
    return builder


def parse_document(content: bytes) -> ParsedDocument:
    """Parse one Tianjin document; MappingError when the document as a whole is unusable."""
    if len(content) > MAX_DOCUMENT_BYTES:
        raise MappingError(DOCUMENT_FIELD, f"document of {len(content)} bytes exceeds {MAX_DOCUMENT_BYTES} bytes")
    body = content[len(UTF8_BOM) :] if content.startswith(UTF8_BOM) else content
    if not body.strip():
        raise MappingError(DOCUMENT_FIELD, "empty document, no xml")
    _check_encoding(body)
    builder = _parse_tree(body)
    root = builder.root
    if root.tag == SINGLE_ROOT:
        return ParsedDocument(batch=False, records=[ParsedRecord(root, content)])
    if root.tag != BATCH_ROOT:
        raise MappingError(SINGLE_ROOT, f"root element is {root.tag!r}, not {SINGLE_ROOT} or {BATCH_ROOT}")
    records = []
    for index, (child, (start, end)) in enumerate(zip(root, builder.spans, strict=True)):
        raw = body[start:end]
        if index in builder.record_errors:
            records.append(ParsedRecord(None, raw, builder.record_errors[index]))
        elif child.tag == SINGLE_ROOT:
            records.append(ParsedRecord(child, raw))
        else:
            error = MappingError(f"{BATCH_ROOT}/{child.tag}", f"a batch holds only {SINGLE_ROOT} elements")
            records.append(ParsedRecord(None, raw, error))
    if not records:
        raise MappingError(BATCH_ROOT, f"the batch holds no {SINGLE_ROOT}")
    return ParsedDocument(batch=True, records=records, batch_attributes=dict(root.attrib))


def split_orders(content: bytes) -> Iterator[Order | Rejected]:
    """The codec's split hook: the document's orders, and a Rejected for each batch child that is not one."""
    document = parse_document(content)
    for index, record in enumerate(document.records):
        where = index if document.batch else -1
        if record.error is not None:
            yield Rejected(record.error.field, record.error.reason, record=where, raw=record.raw)
        else:
            yield Order(record.element, record.raw, where, document.batch_attributes)
