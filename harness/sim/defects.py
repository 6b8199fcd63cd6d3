"""Data-quality problems put into a rendered native document, as a real system sometimes sends them.

A missing required field cannot come out of a codec (its encode refuses a case that
lacks one), so it is taken out of the rendered bytes: the receiving adapter must reject
the document naming the field. Pure byte transforms, one per format.
"""

from __future__ import annotations

import csv
import io
import json
import re

# The field each format's document loses, and the word the adapter's rejection names.
MISSING = {
    "beijing": "sqnr",  # 诉求内容
    "tianjin": "AcceptedAt",
    "hebei": "登记时间",
}


def without_required_field(jurisdiction: str, document: bytes) -> bytes:
    if jurisdiction == "beijing":
        order = json.loads(document)
        order.pop(MISSING["beijing"])
        return json.dumps(order, ensure_ascii=False, indent=2).encode()
    if jurisdiction == "tianjin":
        text = document.decode("utf-8")
        stripped = re.sub(r"\s*<AcceptedAt>[^<]*</AcceptedAt>", "", text, count=1)
        if stripped == text:
            raise ValueError("no AcceptedAt element in the Tianjin document")
        return stripped.encode("utf-8")
    if jurisdiction == "hebei":
        rows = list(csv.reader(io.StringIO(document.decode("gb18030"))))
        column = rows[0].index(MISSING["hebei"])
        for row in rows[1:]:
            row[column] = ""
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        return out.getvalue().encode("gb18030")
    raise ValueError(f"no such jurisdiction: {jurisdiction}")
