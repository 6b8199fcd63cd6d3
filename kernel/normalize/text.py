"""Text folding for structured fields, and NFC for free text.

Typed fields (ids, phones, codes) often arrive with full-width digits and letters
from Chinese input methods ("１３９", "Ｘ"). Folding them is safe there; free text
(the citizen's words) is only NFC-normalised and never otherwise rewritten.
"""

from __future__ import annotations

import unicodedata

# U+FF01..U+FF5E are the full-width forms of ASCII U+0021..U+007E, at a fixed offset.
_FULLWIDTH_OFFSET = 0xFEE0
_FULLWIDTH_TABLE: dict[int, int] = {code: code - _FULLWIDTH_OFFSET for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH_TABLE[0x3000] = 0x20  # ideographic space


def fold_fullwidth(s: str) -> str:
    """Full-width ASCII forms -> ASCII, ideographic space -> space; everything else untouched.

    For structured fields only: CJK characters and the CJK punctuation block (、。「」)
    stay as they are, but the full-width comma "，" (U+FF0C) is in the range and
    becomes ",", one reason free text is never folded.
    """
    return s.translate(_FULLWIDTH_TABLE)


def nfc(s: str) -> str:
    """Unicode NFC (composed) form; the only normalisation free text gets."""
    return unicodedata.normalize("NFC", s)


def clean_code(s: str) -> str:
    """A structured code as typed: full-width folded and surrounding whitespace stripped."""
    return fold_fullwidth(s).strip()
