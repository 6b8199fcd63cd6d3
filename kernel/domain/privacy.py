"""Personal data minimised for sharing (数据安全共享, 个人隐私保护).

A CaseDigest goes to audiences that need to know a case exists, where and what
about, and whether the same person asked before, but not who: names and phones
are masked, and the identity is a keyed hash (HMAC-SHA256) under the
federation's shared secret. The key is keyed, not a plain hash, because an
18-character resident id has so little entropy (region, birth date, sequence)
that an unkeyed SHA-256 could be reversed by enumeration.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

import phonenumbers

from kernel.normalize.phone import CN_PREFIX, is_cn_mobile, normalize_phone
from kernel.normalize.resident_id import normalize_id_number
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

MASK = "*"
# Characters inside a name that identify no one and help reading: spaces, the
# middle dot of transliterated names (·, ・, •).
_NAME_SEPARATORS = frozenset(" ·・•")
# Number-like runs in free text (titles): 7+ digits (phones, ids; full-width
# too) and mobiles written in groups ("139 1234 5678", "+86-139-1234-5678").
_NUMBER_RUN = re.compile(r"[0-9０-９]{7,}[XxＸｘ]?")
_GROUPED_MOBILE = re.compile(r"(?:\+?86[\s-]?)?1\d{2}[\s-]\d{4}[\s-]\d{4}")


def mask_name(name: str) -> str:
    """Keep the first character (usually the surname), mask the rest: "王芳" -> "王*"."""
    name = " ".join(unicodedata.normalize("NFC", name).split())
    if not name:
        return ""
    return name[0] + "".join(c if c in _NAME_SEPARATORS else MASK for c in name[1:])


def _mask_digits(digits: str) -> str:
    """Keep a short prefix and the last 4 (fewer for short numbers), at least 4 masked when possible."""
    length = len(digits)
    tail = 4 if length >= 8 else 2 if length >= 4 else 0
    head = min(3, max(0, length - tail - 4))
    return digits[:head] + MASK * (length - head - tail) + digits[length - tail :]


def mask_phone(phone: str) -> str:
    """"+8613912345678" -> "+86139****5678"; a number that is not E.164 -> its digits, masked."""
    phone = phone.strip()
    if not phone:
        return ""
    if phone.startswith(CN_PREFIX) and is_cn_mobile(phone[3:]):  # a mapped case's phone: what the parser gives
        return CN_PREFIX + _mask_digits(phone[3:])
    if phone.startswith("+"):
        try:
            number = phonenumbers.parse(phone, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None:
            national = phonenumbers.national_significant_number(number)
            return f"+{number.country_code}{_mask_digits(national)}"
    return _mask_digits("".join(c for c in unicodedata.normalize("NFKC", phone) if c.isdigit()))


def requester_key(secret: bytes, id_type: int, value: str) -> str:
    """Keyed hash identifying a requester across jurisdictions; "" when there is nothing to key.

    id_type ID_TYPE_UNSPECIFIED means `value` is a phone number (normalised to
    E.164 so "139 1234 5678" and "+8613912345678" agree); any other id type means
    an identity document number (full-width folded, spaces dropped, upper-case).
    The id type is not hashed: member systems disagree on it for the same
    document more often than two different documents share a number.
    """
    if not secret:
        raise ValueError("requester_key needs the federation's secret; an unkeyed hash of an id is reversible")
    if id_type == case_pb2.ID_TYPE_UNSPECIFIED:
        normalised = normalize_phone(value).value
        namespace = "phone"
    else:
        normalised = normalize_id_number(value).value
        namespace = "id"
    if not normalised:
        return ""
    message = f"jjj-requester-v1\x00{namespace}\x00{normalised}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def party_key(party: case_pb2.Party, secret: bytes) -> str:
    """The requester's key: by id number when there is one, else by phone; "" if anonymous."""
    if party.anonymous:
        return ""
    if party.id_number.strip():
        return requester_key(secret, party.id_type or case_pb2.ID_TYPE_OTHER, party.id_number)
    if party.phone.strip():
        return requester_key(secret, case_pb2.ID_TYPE_UNSPECIFIED, party.phone)
    return ""


def redact_text(text: str, party: case_pb2.Party, *, masked_phone: str | None = None) -> str:
    """Free text with the requester's own name, id and phone, and any number-like run, masked.
    `masked_phone`: mask_phone(party.phone) when the caller has it already (parsing the number is most of the cost)."""
    for raw, masked in _personal_values(party, masked_phone):
        text = text.replace(raw, masked)
    text = _GROUPED_MOBILE.sub(lambda m: _mask_digits(re.sub(r"\D", "", m.group())), text)
    return _NUMBER_RUN.sub(lambda m: _mask_digits(unicodedata.normalize("NFKC", m.group())), text)


def _personal_values(party: case_pb2.Party, masked_phone: str | None = None) -> list[tuple[str, str]]:
    values = []
    name = party.name.strip()
    if len(name) >= 2:  # a lone surname character would mask unrelated words
        values.append((name, mask_name(name)))
    if party.id_number.strip():
        values.append((party.id_number.strip(), _mask_digits(party.id_number.strip())))
    if party.phone.strip():
        phone = party.phone.strip()
        values.append((phone, mask_phone(phone) if masked_phone is None else masked_phone))
        if phone.startswith("+86"):
            values.append((phone[3:], _mask_digits(phone[3:])))
    return sorted(values, key=lambda pair: -len(pair[0]))  # longest first: "+86139..." before "139..."


def digest_case(case: case_pb2.Case, secret: bytes) -> envelope_pb2.CaseDigest:
    """The shareable digest of a case: no raw name, id number or phone anywhere in it."""
    party = case.requester
    masked_phone = mask_phone(party.phone)
    digest = envelope_pb2.CaseDigest(
        case_id=case.case_id,
        origin=case.origin,
        kind=case.kind,
        category_code=case.category.code,
        admin_code=case.location.admin_code,
        status=case.status,
        title=redact_text(case.title, party, masked_phone=masked_phone),
        requester_key=party_key(party, secret),
    )
    if case.HasField("received_at"):
        digest.received_at.CopyFrom(case.received_at)
    if not party.anonymous:
        digest.masked_name = mask_name(party.name)
        digest.masked_phone = masked_phone
    return digest
