"""Input limits: what one case or step may hold, checked before anything reaches the bus. Pure.

A case whose text is longer than the limits, or that would not fit in one bus
message, is a rejection naming the field (the member fixes that case); a document
or batch larger than the limits is refused whole (the member splits it): see the
relay. The limits are settings (kernel.config.LimitSettings).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import re

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from kernel.config import LimitSettings
from kernel.errors import LimitExceeded

# The citizen's own words may be long; every other text is a name, a code, an address or a note.
LONG_TEXT_FIELDS = frozenset({"content", "note", "extensions"})
_INDEXES = re.compile(r"\[[^\]]*\]")


def _strings(message: Message, prefix: str = "") -> Iterator[tuple[str, str]]:
    for descriptor, value in message.ListFields():
        path = f"{prefix}{descriptor.name}"
        if descriptor.type == FieldDescriptor.TYPE_STRING:
            if descriptor.is_repeated:
                yield from ((f"{path}[{index}]", text) for index, text in enumerate(value))
            else:
                yield path, value
        elif descriptor.type == FieldDescriptor.TYPE_MESSAGE:
            if descriptor.message_type.GetOptions().map_entry:
                for key, item in value.items():
                    if isinstance(item, str):
                        yield f"{path}[{key}]", item
                    elif isinstance(item, Message):
                        yield from _strings(item, f"{path}[{key}].")
            elif descriptor.is_repeated:
                for index, item in enumerate(value):
                    yield from _strings(item, f"{path}[{index}].")
            else:
                yield from _strings(value, f"{path}.")


_MAP_ENTRY: dict[object, bool] = {}


def _is_map(descriptor: FieldDescriptor) -> bool:
    known = _MAP_ENTRY.get(descriptor)
    if known is None:
        known = _MAP_ENTRY[descriptor] = bool(descriptor.message_type.GetOptions().map_entry)
    return known


def any_text_over(message: Message, short: int, long: int) -> bool:
    """Whether some text field is over its limit (`long` for LONG_TEXT_FIELDS, else `short`): the walk of
    `text_violations` without building a path per string, which cost as much as mapping the case did."""
    if message.ByteSize() <= min(short, long):
        return False  # a character is at least a byte: no text of it can be longer than the whole
    for descriptor, value in message.ListFields():
        kind = descriptor.type
        if kind == FieldDescriptor.TYPE_STRING:
            limit = long if descriptor.name in LONG_TEXT_FIELDS else short
            if descriptor.is_repeated:
                if any(len(text) > limit for text in value):
                    return True
            elif len(value) > limit:
                return True
        elif kind == FieldDescriptor.TYPE_MESSAGE:
            if _is_map(descriptor):
                limit = long if descriptor.name in LONG_TEXT_FIELDS else short
                for item in value.values():
                    if isinstance(item, str) and len(item) > limit:
                        return True
                    if isinstance(item, Message) and any_text_over(item, short, long):
                        return True
            elif descriptor.is_repeated:
                if any(any_text_over(item, short, long) for item in value):
                    return True
            elif any_text_over(value, short, long):
                return True
    return False


def text_violations(message: Message, limits: LimitSettings) -> list[tuple[str, str]]:
    """(field path, reason) for every text field of `message` over its limit."""
    if not any_text_over(message, limits.max_field_chars, limits.max_content_chars):
        return []
    return _paths_over(message, limits)


def _paths_over(message: Message, limits: LimitSettings) -> list[tuple[str, str]]:
    found = []
    for path, text in _strings(message):
        leaf = _INDEXES.sub("", path).rsplit(".", 1)[-1]  # map keys may hold dots themselves
        limit = limits.max_content_chars if leaf in LONG_TEXT_FIELDS else limits.max_field_chars
        if len(text) > limit:
            found.append((path, f"{len(text)} characters; at most {limit}"))
    return found


def case_violations(case: Message, limits: LimitSettings) -> list[tuple[str, str]]:
    """What makes a case too large to send: over-long text fields, or too many bytes for one bus message."""
    found = text_violations(case, limits)
    size = case.ByteSize()
    if size > limits.max_case_bytes:
        found.append(("case", f"{size} bytes on the bus; at most {limits.max_case_bytes} (attachments or extensions too large?)"))
    return found


def check_document(content: bytes, limits: LimitSettings) -> None:
    if len(content) > limits.max_document_bytes:
        raise LimitExceeded(
            f"the document has {len(content)} bytes; at most {limits.max_document_bytes} per call: split it",
            violations=[("document.content", f"{len(content)} bytes; at most {limits.max_document_bytes}")],
        )


def check_count(count: int, limits: LimitSettings) -> None:
    if count > limits.max_cases_per_document:
        raise LimitExceeded(
            f"the document holds {count} records; at most {limits.max_cases_per_document} per call: split it",
            violations=[("document.content", f"{count} records; at most {limits.max_cases_per_document}")],
        )


def check_texts(fields: Mapping[str, str], limits: LimitSettings) -> list[tuple[str, str]]:
    """(field, reason) for request fields (a step's note, a share's title and body) over their limit."""
    found = []
    for name, text in fields.items():
        limit = limits.max_content_chars if name in LONG_TEXT_FIELDS or name == "body" else limits.max_field_chars
        if len(text) > limit:
            found.append((name, f"{len(text)} characters; at most {limit}"))
    return found
