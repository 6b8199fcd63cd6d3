"""Hebei's structured cells: parse a cell to plain values, format values back to a cell.

Each `parse_*` is the inverse of its `format_*` on canonical cells:
parse(format(v)) == v, and format(parse(cell)) == cell exactly when the cell is
spelled the canonical way. to_common keeps any other spelling in extensions, so
rows come back byte for byte. Values are plain tuples (cheap, comparable);
to_common builds protobuf messages from them.

List cells join entries with "；" (full-width semicolon) and parts with ":" or "|"
(schemas/hebei/columns.yaml). When a value from another jurisdiction contains a
separator, formatting replaces it by a look-alike (";" for "；", "｜" for "|",
"：" for ":"), so the rendered cell still splits into the right entries and parts.
"""

from __future__ import annotations

import functools
import math
import mimetypes
import operator
import re
from datetime import datetime

from kernel.codec import MappingError
from kernel.normalize.phone import PhoneResult, national_form, normalize_phone
from kernel.normalize.resident_id import IdNumberResult, normalize_id_number
from kernel.normalize.text import fold_fullwidth
from kernel.normalize.timeutil import BEIJING, format_hebei_time, parse_hebei_time
from adapters.hebei.tables import LIST_SEPARATORS

UNITS = "承办单位"
HISTORY = "流转记录"
ATTACHMENTS = "附件"
ENTRY_SEPARATOR, UNIT_PART = LIST_SEPARATORS[UNITS]
_, EVENT_PART = LIST_SEPARATORS[HISTORY]
_, ATTACHMENT_PART = LIST_SEPARATORS[ATTACHMENTS]
# Typed by hand now and then instead of the ASCII colon.
_UNIT_PART_FULLWIDTH = "："
_ENTRY_LOOKALIKE = ";"
_PART_LOOKALIKE = {"|": "｜", ":": "："}

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DIGITS = re.compile(r"[0-9]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_INT32_MAX = 2**31 - 1
# Built-in table only (no /etc/mime.types): the same guess on every machine.
_MEDIA_TYPES = mimetypes.MimeTypes()

Unit = tuple[str, str]  # code, name
Event = tuple[int, str, str, str]  # UTC seconds, action, actor, note
Attachment = tuple[str, str, str]  # name, sha256 (lower-case), uri


# --- times -------------------------------------------------------------------------


# The plain spelling: ASCII digits, no blanks around. Anything else goes to the library.
_PLAIN_TIME = re.compile(r"([0-9]{4}/[0-9]{1,2}/[0-9]{1,2}) ([0-9]{1,2}):([0-9]{2})")


def parse_time(text: str, field: str) -> tuple[int, bool]:
    """Hebei time -> (UTC epoch seconds, is the text spelled canonically).

    MappingError(field) for a wrong format or an impossible date. Exactly
    parse_hebei_time, but fast: a file holds few distinct dates, so the date part is
    validated once (cached) and the clock part is plain arithmetic (UTC+8 has no
    daylight saving).
    """
    match = _PLAIN_TIME.fullmatch(text)
    if match is not None:
        date, hour_text, minute_text = match.groups()
        day = _day_start(date)
        hour, minute = int(hour_text), int(minute_text)
        if day is not None and hour < 24 and minute < 60:
            start, date_canonical = day
            return start + hour * 3600 + minute * 60, date_canonical and hour_text == str(hour)
    seconds = int(parse_hebei_time(text, field).timestamp())  # raises the library's MappingError
    return seconds, format_time(seconds) == text


@functools.lru_cache(maxsize=4096)
def _day_start(date: str) -> tuple[int, bool] | None:
    """(UTC seconds of 0:00 Beijing time that day, is the date spelled canonically), None if no such day."""
    try:
        start = int(parse_hebei_time(f"{date} 0:00", "").timestamp())
    except MappingError:
        return None
    return start, format_time(start) == f"{date} 0:00"


@functools.lru_cache(maxsize=4096)
def format_time(seconds: int) -> str:
    return format_hebei_time(datetime.fromtimestamp(seconds, BEIJING).replace(tzinfo=None))


# --- coordinates and numbers ---------------------------------------------------------


def parse_degrees(cell: str, limit: float) -> float | None:
    """A decimal number of degrees within ±limit, or None when the cell is not one."""
    text = cell
    if _DECIMAL.fullmatch(text) is None:
        text = fold_fullwidth(cell).strip()
        if _DECIMAL.fullmatch(text) is None:
            return None
    value = float(text)
    return value if math.isfinite(value) and -limit <= value <= limit else None


def format_degrees(value: float) -> str:
    text = repr(value)  # shortest spelling that reads back as the same float
    if "e" in text:  # |value| < 1e-4: Hebei's system expects plain decimals
        text = f"{value:.12f}".rstrip("0").rstrip(".")
    return text


def parse_count(cell: str, field: str) -> int:
    """A non-negative int32 written in decimal digits (full-width digits accepted)."""
    text = fold_fullwidth(cell).strip()
    if _DIGITS.fullmatch(text) is None:
        raise MappingError(field, f"{cell!r} is not a whole number")
    value = int(text)
    if value > _INT32_MAX:
        raise MappingError(field, f"{cell!r} is too large")
    return value


# --- phone -------------------------------------------------------------------------


# phonenumbers costs ~35 µs to parse a number and ~100 µs to format one: most of a
# row's mapping time. But a CN number's validity and national layout depend only on
# its leading digits and length, because numbers are allocated in blocks and
# phonenumbers' CN patterns look no deeper: 5 digits for a mobile (1740[0-5] is the
# deepest), 6 for a landline (area code and the local exchange). Checked
# exhaustively for mobiles and by sampling every area code for landlines, and
# re-checked against the library by tests/adapters/test_hebei_cells.py. So the
# library answers once per block, and plain spellings of numbers in a known block
# are handled without it.
_MOBILE_BLOCK_DIGITS = 5
_LANDLINE_BLOCK_DIGITS = 6
_valid_blocks: set[tuple[str, int]] = set()
_area_lengths: dict[tuple[str, int], int] = {}
# Both memos stop growing here (a few MB): real files use far fewer blocks.
_MAX_BLOCKS = 50_000


def _plain_cn_national(raw: str) -> str | None:
    """The national number of a plain mobile ("139 3160 0000") or landline ("0316-5551234") spelling."""
    compact = raw.replace(" ", "").replace("-", "")
    if not (compact.isascii() and compact.isdigit()):
        return None
    if len(compact) == 11 and compact[0] == "1":
        return compact
    if 10 <= len(compact) <= 12 and compact[0] == "0" and compact[1] != "0":
        return compact[1:]
    return None


def _block(national: str) -> tuple[str, int]:
    if len(national) == 11 and national[0] == "1":
        return national[:_MOBILE_BLOCK_DIGITS], 11
    return national[:_LANDLINE_BLOCK_DIGITS], len(national)


def normalize_phone_fast(raw: str) -> PhoneResult:
    """Exactly normalize_phone(raw), skipping the library for plain numbers of a known block."""
    national = _plain_cn_national(raw)
    if national is None:
        return normalize_phone(raw)
    block = _block(national)
    if block in _valid_blocks:
        return PhoneResult("+86" + national, True)
    result = normalize_phone(raw)
    if result.valid and result.value == "+86" + national and len(_valid_blocks) < _MAX_BLOCKS:
        _valid_blocks.add(block)
    return result


def format_phone(value: str) -> str:
    """The model's phone as Hebei writes it: "13800138000", "0316-5551234", "+852 9123 4567".

    An invalid number (kept as typed, without "+") is written unchanged.
    """
    if not value.startswith("+"):
        return value
    national = value[3:]
    if not (value.startswith("+86") and national.isascii() and national.isdigit()):
        return national_form(value, "dashed")
    block = _block(national)
    if len(national) == 11 and national[0] == "1" and block in _valid_blocks:
        return national  # a mobile: the national number itself
    area_length = _area_lengths.get(block)
    if area_length is None and len(_area_lengths) >= _MAX_BLOCKS:
        return national_form(value, "dashed")
    if area_length is None:
        dashed = national_form(value, "dashed")
        area, _, local = dashed.partition("-")
        # Remember the layout only when it is plain: "0<area>-<local>" (landline) or the
        # national number itself (mobile, area length -1); 0 means "always ask".
        if dashed == national:
            _area_lengths[block] = -1
        elif area.startswith("0") and local and area[1:] + local == national:
            _area_lengths[block] = len(area) - 1
        else:
            _area_lengths[block] = 0
        return dashed
    if area_length > 0:
        return f"0{national[:area_length]}-{national[area_length:]}"
    return national if area_length < 0 else national_form(value, "dashed")


# --- resident ids --------------------------------------------------------------------

# GB 11643 check digit (ISO 7064 MOD 11-2), for the plain spelling only: the generic
# normalize_id_number spends ~6 µs folding and checking each id, a sixth of a row's time.
_ID_WEIGHTS = tuple(pow(2, 17 - position, 11) for position in range(17))
_ID_CHECK_CHARACTERS = "10X98765432"
_ID_ASCII_ZERO_SUM = ord("0") * sum(_ID_WEIGHTS)


def normalize_id_fast(raw: str) -> IdNumberResult:
    """Exactly normalize_id_number(raw), quicker for an already clean 18-character id."""
    if len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and (raw[17].isdigit() or raw[17] == "X"):
        total = sum(map(operator.mul, raw[:17].encode(), _ID_WEIGHTS)) - _ID_ASCII_ZERO_SUM
        return IdNumberResult(raw, _ID_CHECK_CHARACTERS[total % 11] == raw[17])
    return normalize_id_number(raw)


# --- lists -------------------------------------------------------------------------


def _escape_entry(text: str) -> str:
    return text.replace(ENTRY_SEPARATOR, _ENTRY_LOOKALIKE)


def _escape_part(text: str, part: str) -> str:
    return _escape_entry(text).replace(part, _PART_LOOKALIKE[part])


# Each parse_* below returns (values, canonical): canonical is format_*(values) == cell,
# worked out while parsing (formatting only joins what parsing split, so it differs
# exactly where parsing dropped, padded or re-spelled something).


_CACHED_CELL_LENGTH = 256


def parse_units(cell: str) -> tuple[tuple[Unit, ...], bool]:
    """"GA001:固安县住建局；GA002:固安县交通局" -> ((("GA001", "固安县住建局"), ...), True)."""
    # A file names the same few handling units over and over: cache short cells.
    return _parse_units_cached(cell) if len(cell) <= _CACHED_CELL_LENGTH else _parse_units(cell)


@functools.lru_cache(maxsize=4096)
def _parse_units_cached(cell: str) -> tuple[tuple[Unit, ...], bool]:
    return _parse_units(cell)


def _parse_units(cell: str) -> tuple[tuple[Unit, ...], bool]:
    units = []
    canonical = True
    for entry in cell.split(ENTRY_SEPARATOR) if cell else ():
        if not entry:
            canonical = False
            continue
        separator = UNIT_PART if UNIT_PART in entry or _UNIT_PART_FULLWIDTH not in entry else _UNIT_PART_FULLWIDTH
        code, found, name = entry.partition(separator)
        if separator != UNIT_PART or not found:
            canonical = False
        units.append((code, name) if found else ("", entry))
    return tuple(units), canonical


def format_units(units) -> str:
    return ENTRY_SEPARATOR.join(
        f"{_escape_part(code, UNIT_PART)}{UNIT_PART}{_escape_entry(name)}" for code, name in units
    )


def parse_events(cell: str) -> tuple[tuple[Event, ...], bool]:
    """"2026/11/24 9:05|登记|话务员12|；..." -> (((seconds, "登记", "话务员12", ""), ...), True).

    The note is the last part and may itself contain "|". Every entry needs a time
    in Hebei's format: MappingError("流转记录") otherwise.
    """
    events = []
    canonical = True
    for entry in cell.split(ENTRY_SEPARATOR) if cell else ():
        if not entry:
            canonical = False
            continue
        parts = entry.split(EVENT_PART, 3)
        if len(parts) < 4:
            canonical = False
            parts += [""] * (4 - len(parts))
        seconds, time_canonical = parse_time(parts[0], HISTORY)
        canonical = canonical and time_canonical
        events.append((seconds, parts[1], parts[2], parts[3]))
    return tuple(events), canonical


def format_events(events) -> str:
    return ENTRY_SEPARATOR.join(
        EVENT_PART.join(
            (
                format_time(seconds),
                _escape_part(action, EVENT_PART),
                _escape_part(actor, EVENT_PART),
                _escape_entry(note),
            )
        )
        for seconds, action, actor, note in events
    )


def parse_attachments(cell: str) -> tuple[tuple[Attachment, ...], bool]:
    """"备案表.pdf|abab...|https://..." -> ((("备案表.pdf", "abab...", "https://..."),), True).

    The uri is the last part and may hold "|"; the sha256 is lower-cased.
    """
    attachments = []
    canonical = True
    for entry in cell.split(ENTRY_SEPARATOR) if cell else ():
        if not entry:
            canonical = False
            continue
        parts = entry.split(ATTACHMENT_PART, 2)
        if len(parts) < 3:
            canonical = False
            parts += [""] * (3 - len(parts))
        sha256 = parts[1].strip().lower()
        if sha256 != parts[1]:
            canonical = False
        attachments.append((parts[0], sha256, parts[2]))
    return tuple(attachments), canonical


def format_attachments(attachments) -> str:
    return ENTRY_SEPARATOR.join(
        ATTACHMENT_PART.join(
            (
                _escape_part(name, ATTACHMENT_PART),
                _escape_part(sha256, ATTACHMENT_PART),
                uri.replace(ENTRY_SEPARATOR, "%EF%BC%9B"),  # percent-encoding keeps the URI's meaning
            )
        )
        for name, sha256, uri in attachments
    )


def is_sha256(value: str) -> bool:
    return _SHA256.fullmatch(value) is not None


def media_type_of(name: str) -> str:
    """Hebei carries no media type; guess it from the file name (empty when unknown)."""
    return _MEDIA_TYPES.guess_type(name, strict=False)[0] or "" if "." in name else ""
