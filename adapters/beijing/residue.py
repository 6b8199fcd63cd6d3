"""What a case's canonical Beijing rendering would not reproduce, kept as extensions.

Losslessness by construction: after mapping, to_common renders the new case the
canonical way (canonical.py) and compares it with the native object it came from.
Every difference is stored in the case's extensions, keyed by native path:

- `beijing.<path>` = the native value at that path. A string is stored as is; any
  other JSON value (number, bool, null, object, array) is JSON-encoded and its path
  is listed in `beijing.@json`. This is where unknown fields (`beijing.xzzd2027`),
  every kzzd entry (`beijing.kzzd.wyfw`), values with no place in the model
  (`beijing.sqr.xb`), and raw spellings the normalised value does not give back
  (`beijing.sqr.lxdh` = "010 1234 5678") end up.
- `beijing.@absent` = JSON list of paths the canonical rendering writes but the
  native object did not have (an order without `bt`, an item without `yj`).

Rendering a case is the canonical rendering with these applied, so
native -> common -> native gives the original object back (modulo key order and
whitespace), and a case mapped from it maps again to the same case. to_common may
add entries of its own (native string values at their own path, e.g. beijing.fl.yj
even when the rendering would give it back): applying them changes nothing.

Personal data: a raw spelling of a phone or id number (beijing.sqr.lxdh,
beijing.sqr.zjhm) is as personal as the requester fields; whoever minimises a case
for sharing must drop `beijing.sqr.*` too.

Paths are dotted; list items are numbered from 0; a key containing "." or "%", or
starting with "@", is percent-escaped (%2E, %25, %40) so every path reads back
unambiguously and cannot collide with the two marker keys.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from typing import Any

PREFIX = "beijing."
ABSENT_KEY = PREFIX + "@absent"
JSON_KEY = PREFIX + "@json"
# Containers whose entries are kept one by one (`beijing.kzzd.<key>`) rather than
# as one JSON value when the canonical rendering has no such container.
_ENTRYWISE = frozenset({("kzzd",)})

_UNESCAPE = re.compile(r"%(25|2E|40)")
_UNESCAPED = {"25": "%", "2E": ".", "40": "@"}

Path = tuple[str | int, ...]


def _escape(segment: str | int) -> str:
    if isinstance(segment, int):
        return str(segment)
    text = segment.replace("%", "%25").replace(".", "%2E")
    return "%40" + text[1:] if text.startswith("@") else text


# Paths repeat from order to order (sqr.xb, fl.yj ...): cached, bounded for odd keys.
@functools.lru_cache(maxsize=4096)
def path_text(path: Path) -> str:
    return ".".join(_escape(segment) for segment in path)


def key_for(path: Path) -> str:
    """The extensions key of a native path, e.g. ("sqr", "xb") -> "beijing.sqr.xb"."""
    return PREFIX + path_text(path)


@functools.lru_cache(maxsize=4096)
def segments(text: str) -> tuple[str, ...]:
    """A dotted path (without the prefix) -> its unescaped segments."""
    if "%" not in text:
        return tuple(text.split("."))
    return tuple(_UNESCAPE.sub(lambda m: _UNESCAPED[m.group(1)], part) for part in text.split("."))


def _same(native: Any, rendered: Any) -> bool:
    # Strict: 1 is not 1.0, True is not 1, -0.0 is not 0.0, in a document that must come back unchanged.
    if type(native) is not type(rendered) or native != rendered:
        return False
    return type(native) is not float or math.copysign(1.0, native) == math.copysign(1.0, rendered)


class _Residue:
    def __init__(self) -> None:
        self.entries: dict[str, str] = {}
        self.absent: list[str] = []
        self.json_paths: list[str] = []

    def keep(self, path: Path, value: Any) -> None:
        if isinstance(value, str):
            self.entries[key_for(path)] = value
        else:
            self.entries[key_for(path)] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            self.json_paths.append(path_text(path))

    def missing(self, path: Path, value: Any) -> None:
        if path in _ENTRYWISE and isinstance(value, dict) and value:
            for key, item in value.items():
                self.keep((*path, key), item)
        else:
            self.keep(path, value)

    def compare(self, path: Path, native: Any, rendered: Any) -> None:
        if type(native) is dict and type(rendered) is dict:
            self.compare_objects(path, native, rendered)
        elif type(native) is list and type(rendered) is list and len(native) == len(rendered):
            for index, (item, rendered_item) in enumerate(zip(native, rendered)):
                self.compare((*path, index), item, rendered_item)
        elif not _same(native, rendered):
            self.keep(path, native)

    def compare_objects(self, path: Path, native: dict, rendered: dict) -> None:
        for key, value in native.items():
            if key not in rendered:
                self.missing((*path, key), value)
                continue
            other = rendered[key]
            # Hot path: equal strings (most fields of most orders).
            if type(value) is str and type(other) is str and value == other:
                continue
            self.compare((*path, key), value, other)
        for key in rendered:
            if key not in native:
                self.absent.append(path_text((*path, key)))

    def result(self) -> dict[str, str]:
        # Sorted: the same object with its keys in another order gives the same case.
        if self.absent:
            self.entries[ABSENT_KEY] = json.dumps(sorted(self.absent), ensure_ascii=False)
        if self.json_paths:
            self.entries[JSON_KEY] = json.dumps(sorted(self.json_paths), ensure_ascii=False)
        return self.entries


def diff(native: dict, rendered: dict) -> dict[str, str]:
    """Extensions that turn `rendered` (the canonical rendering) back into `native`."""
    residue = _Residue()
    residue.compare_objects((), native, rendered)
    return residue.result()


def _markers(extensions: Mapping[str, str], key: str) -> list[str]:
    text = extensions.get(key)
    if not text:
        return []
    try:
        paths = json.loads(text)
    except ValueError:
        return []
    return [path for path in paths if isinstance(path, str)] if isinstance(paths, list) else []


def _parent(document: Any, parts: tuple[str, ...], create: bool) -> Any:
    node = document
    for part in parts:
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return None
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node and create:
                node[part] = {}
            node = node.get(part)
        else:
            return None
    return node if isinstance(node, (dict, list)) else None


def _set(document: dict, parts: tuple[str, ...], value: Any) -> None:
    parent = _parent(document, parts[:-1], create=True)
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        parent[int(last)] = value


def _delete(document: dict, parts: tuple[str, ...]) -> None:
    parent = _parent(document, parts[:-1], create=False)
    if isinstance(parent, dict):
        parent.pop(parts[-1], None)


def apply(document: dict, extensions: Mapping[str, str]) -> dict:
    """Apply a case's `beijing.*` extensions to its canonical rendering, in place.

    Entries that do not fit the document (hand-edited extensions) are skipped,
    never an error: rendering must not fail on them.
    """
    for path in _markers(extensions, ABSENT_KEY):
        _delete(document, segments(path))
    json_paths = set(_markers(extensions, JSON_KEY))
    for key in sorted(extensions):
        if not key.startswith(PREFIX) or key in (ABSENT_KEY, JSON_KEY):
            continue
        path = key[len(PREFIX) :]
        text = extensions[key]
        value: Any = text
        if path in json_paths:
            try:
                value = json.loads(text)
            except ValueError:
                value = text
        _set(document, segments(path), value)
    return document
