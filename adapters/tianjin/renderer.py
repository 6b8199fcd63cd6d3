"""<WorkOrder> elements (from_common) -> one Tianjin XML document (UTF-8, XML declaration, default namespace).

One order renders as a <WorkOrder> root, several (or none) as a <WorkOrders> batch.
An order that came in a batch whose root had attributes of its own (its case's
extensions "tianjin.WorkOrders@...") renders in a batch even when alone, so those survive.

The serializer is our own, small and strict, rather than ElementTree's: it escapes
carriage returns and attribute whitespace as character references (so the parser
gives back exactly the same strings) and replaces characters XML 1.0 cannot carry
at all (C0 controls other than tab/newline/CR, lone surrogates, U+FFFE/U+FFFF)
with U+FFFD, because a case from another jurisdiction may hold them and the
document must stay well-formed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from xml.etree.ElementTree import Element

from adapters.tianjin.tables import BATCH_ROOT, NAMESPACE

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
INDENT = "  "

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)


def _xml_chars(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def _text(value: str) -> str:
    return _xml_chars(value).translate(_TEXT_ESCAPES)


def _attribute(value: str) -> str:
    return _xml_chars(value).translate(_ATTRIBUTE_ESCAPES)


def _write(element: Element, depth: int, out: list[str], *, pretty: bool = True, namespace: str = "") -> None:
    pad, newline = (INDENT * depth, "\n") if pretty else ("", "")
    out.append(f"{pad}<{element.tag}")
    if namespace:
        out.append(f' xmlns="{namespace}"')
    for name, value in element.attrib.items():
        out.append(f' {name}="{_attribute(value)}"')
    children = list(element)
    text = element.text or ""
    if not children:
        out.append(f">{_text(text)}</{element.tag}>{newline}" if text else f"/>{newline}")
        return
    if text.strip():
        # Text beside child elements is data here (an extension): indentation would
        # change it, so this subtree is written without layout.
        pretty = False
        out.append(f">{_text(text)}")
    else:
        out.append(f">{newline}")
    for child in children:
        _write(child, depth + 1, out, pretty=pretty)
    out.append(f"{pad if pretty else ''}</{element.tag}>{newline}")


def serialize(root: Element) -> bytes:
    out = [DECLARATION]
    _write(root, 0, out, namespace=NAMESPACE)
    if not out[-1].endswith("\n"):
        out.append("\n")
    return "".join(out).encode("utf-8")


def render(records: Iterable[tuple[Element, dict[str, str]]]) -> bytes:
    """(order, batch-root attributes) pairs (from_common.case_to_record) -> a document."""
    orders: list[Element] = []
    batch_attributes: dict[str, str] = {}
    for order, attributes in records:
        orders.append(order)
        for name, value in attributes.items():
            batch_attributes.setdefault(name, value)
    if len(orders) == 1 and not batch_attributes:
        return serialize(orders[0])
    batch = Element(BATCH_ROOT, batch_attributes)
    batch.extend(orders)
    return serialize(batch)
