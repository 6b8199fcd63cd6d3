"""What to_common reads, and everything it does not: native paths and extensions.

Tianjin ignores elements it does not know, and so may its vendors add them; the
common model keeps every such element and attribute in `Case.extensions` so that
native -> common -> native loses nothing. to_common reads a work order through
`Node`, which remembers what was read; whatever is left over becomes an extension.

Path convention (extension keys are "tianjin." + path; rejections name the same paths):
- element steps are local names joined by "/", relative to the WorkOrder element:
  `VendorTag`, `Caller/Name`, `Place/Coord`;
- an attribute is "@name" after its element's path: `Caller/Name@x`, `Place/Coord@datum`;
  the WorkOrder element itself is written `WorkOrder` (`WorkOrder@vendor`), and
  the batch root's attributes `WorkOrders@name` (every order of the batch carries them);
- repeated elements carry a 0-based index: always for the lists to_common knows
  (`Handlers/Handler[0]@phone`, `Trail/Step[2]/Photo`), and for unknown elements
  only when several siblings share a name (`Tag[0]`, `Tag[1]`);
- the value of an element's own key is its text. An unknown element with no
  attributes and no child elements is always recorded, even when empty
  (`tianjin.VendorTag` = "x9"); otherwise text is recorded only when it is not
  blank (whitespace between child elements is layout, not data).
Mixed content (text after a child element) and comments are not kept; the order of
unknown elements among known ones is not kept either (they are rendered after the
known children of their parent, in key order).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, MutableMapping
from xml.etree.ElementTree import Element, SubElement
from xml.parsers import expat

from kernel.codec import MappingError

ROOT_NAME = "WorkOrder"
BATCH_NAME = "WorkOrders"

# Names as keys carry them: a candidate NCName (no ":"), checked exactly by `is_xml_name`.
# A key whose names cannot be written as XML is skipped by `graft`.
_NEVER_IN_NAMES = re.compile(r"[\s:'\"<>&=/\[\]@]")
_ASCII_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_STEP = re.compile(r"(?P<name>[^\s/@\[\]:]+)(?:\[(?P<index>\d{1,6})\])?")


@functools.lru_cache(maxsize=4096)
def _expat_accepts(name: str) -> bool:
    # Unicode name rules differ between XML editions and parsers; ask the parser that reads them back.
    probe = expat.ParserCreate("utf-8")
    try:
        probe.Parse(f"<{name} {name}=''/>".encode("utf-8", "surrogatepass"), True)
    except (expat.ExpatError, ValueError):
        return False
    return True


def is_xml_name(name: str) -> bool:
    """Can `name` be written as an element or attribute name (xmlns* never: it would declare a namespace)?"""
    if not name or _NEVER_IN_NAMES.search(name) or name.lower().startswith("xmlns"):
        return False
    return _ASCII_NAME.fullmatch(name) is not None or _expat_accepts(name)


def element_key(path: str) -> str:
    return path or ROOT_NAME


def attribute_key(path: str, name: str) -> str:
    return f"{element_key(path)}@{name}"


def child_path(path: str, name: str, index: int | None = None) -> str:
    step = name if index is None else f"{name}[{index}]"
    return f"{path}/{step}" if path else step


class Node:
    """An element being mapped, with its path, remembering what to_common read."""

    __slots__ = ("element", "path", "_read_attributes", "_read_children", "_text_read", "_opened", "_by_name")

    def __init__(self, element: Element, path: str = "") -> None:
        self.element = element
        self.path = path
        self._read_attributes: set[str] = set()
        self._read_children: set[str] = set()
        self._text_read = False
        self._opened: list[Node] = []
        self._by_name: dict[str, list[Element]] | None = None

    def _children_named(self, name: str) -> list[Element]:
        if self._by_name is None:
            self._by_name = {}
            for child in self.element:
                self._by_name.setdefault(child.tag, []).append(child)
        return self._by_name.get(name, [])

    def attribute_path(self, name: str) -> str:
        return attribute_key(self.path, name)

    def attribute(self, name: str) -> str | None:
        self._read_attributes.add(name)
        return self.element.get(name)

    def leave_attribute(self, name: str) -> None:
        """Un-read an attribute, so it is kept as an extension after all."""
        self._read_attributes.discard(name)

    def text(self) -> str:
        self._text_read = True
        return self.element.text or ""

    def has_child(self, name: str) -> bool:
        return bool(self._children_named(name))

    def child(self, name: str) -> Node | None:
        """The single child `name`, or None; a second one is the sender breaking its schema."""
        found = self._children_named(name)
        self._read_children.add(name)
        if not found:
            return None
        path = child_path(self.path, name)
        if len(found) > 1:
            raise MappingError(path, f"appears {len(found)} times, at most once allowed")
        node = Node(found[0], path)
        self._opened.append(node)
        return node

    def children(self, name: str) -> list[Node]:
        """Every child `name`, in document order, each with an indexed path."""
        self._read_children.add(name)
        nodes = [Node(element, child_path(self.path, name, i)) for i, element in enumerate(self._children_named(name))]
        self._opened.extend(nodes)
        return nodes

    def consume_all(self) -> None:
        """Mark this element and everything in it as read (used to drop data on purpose)."""
        self._read_attributes.update(self.element.attrib)
        self._read_children.update(child.tag for child in self.element)
        self._text_read = True
        self._opened = []

    def leftovers(self, out: MutableMapping[str, str]) -> None:
        """Put every attribute, child and text not read into `out` (path -> value)."""
        for name, value in self.element.attrib.items():
            if name not in self._read_attributes:
                out[attribute_key(self.path, name)] = value
        if not self._text_read and (self.element.text or "").strip():
            out[element_key(self.path)] = self.element.text or ""
        unread = [child for child in self.element if child.tag not in self._read_children]
        flatten_children(unread, self.path, out)
        for node in self._opened:
            node.leftovers(out)

    def read_paths(self) -> Iterator[str]:
        """Paths of everything read (elements, attributes), for the XSD consistency test."""
        yield element_key(self.path)
        for name in self._read_attributes:
            if name in self.element.attrib:
                yield attribute_key(self.path, name)
        for node in self._opened:
            yield from node.read_paths()


def flatten_children(elements: list[Element], parent_path: str, out: MutableMapping[str, str]) -> None:
    counts: dict[str, int] = {}
    for element in elements:
        counts[element.tag] = counts.get(element.tag, 0) + 1
    seen: dict[str, int] = {}
    for element in elements:
        index = None
        if counts[element.tag] > 1:
            index = seen.get(element.tag, 0)
            seen[element.tag] = index + 1
        flatten(element, child_path(parent_path, element.tag, index), out)


def flatten(element: Element, path: str, out: MutableMapping[str, str]) -> None:
    """An unknown element and all it holds -> path/value pairs."""
    children = list(element)
    if not element.attrib and not children:
        out[path] = element.text or ""
        return
    for name, value in element.attrib.items():
        out[attribute_key(path, name)] = value
    if (element.text or "").strip():
        out[path] = element.text or ""
    flatten_children(children, path, out)


def _parse_key(path: str) -> tuple[list[tuple[str, int | None]], str | None] | None:
    """"Caller/Name@x" -> ([("Caller", None), ("Name", None)], "x"); None if not renderable."""
    element_part, _, attribute = path.partition("@")
    if attribute and not is_xml_name(attribute):
        return None
    steps: list[tuple[str, int | None]] = []
    for step in element_part.split("/"):
        match = _STEP.fullmatch(step)
        if match is None or not is_xml_name(match.group("name")):
            return None
        index = match.group("index")
        steps.append((match.group("name"), int(index) if index is not None else None))
    return steps, (attribute or None)


def graft(root: Element, path: str, value: str) -> bool:
    """Put one extension back into a rendered WorkOrder; False if the key cannot be rendered."""
    parsed = _parse_key(path)
    if parsed is None:
        return False
    steps, attribute = parsed
    if steps[0] == (ROOT_NAME, None):
        steps = steps[1:]
    elif steps[0][0] in (ROOT_NAME, BATCH_NAME):
        return False  # a batch-root key (handled by the renderer) or a nested WorkOrder
    element = root
    for name, index in steps:
        same = [child for child in element if child.tag == name]
        wanted = 0 if index is None else index
        while len(same) <= wanted:
            same.append(SubElement(element, name))
        element = same[wanted]
    # Never overwrite what from_common rendered: a decoded case never has such a key,
    # and a hand-made one must not change mapped data behind the model's back.
    if attribute is None:
        if element.text:
            return False
        element.text = value
    else:
        if attribute in element.attrib:
            return False
        element.set(attribute, value)
    return True
