"""Tianjin's work-order format as constants and code tables (the tables are data in schemas/tianjin/).

Everything here is what the SPEC fixes; the parser, to_common, from_common and renderer read it,
and the XSD (schemas/tianjin/workorder.xsd) states the same facts for people and
for tests/adapters/tianjin/test_schema.py, which keeps the two in step.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from kernel.normalize.taxonomy import TIANJIN_SCHEME
from kernel.tables import CodeTable, load_yaml
from jjj.case.v1 import case_pb2

NAMESPACE = "urn:tj12345:workorder:2"
SINGLE_ROOT = "WorkOrder"
BATCH_ROOT = "WorkOrders"

SOURCE_SCHEMA = "tianjin-xml"
ADAPTER_VERSION = "0.1.0"
CATEGORY_SCHEME = TIANJIN_SCHEME
CASE_ID_PREFIX = "jjj:TJ:"
EXTENSION_PREFIX = "tianjin."

# Document versions Tianjin sends; the first is what the renderer writes unless a
# Tianjin-origin case carries another one in its provenance. 2.0 has no Attachments.
VERSIONS = ("2.1", "2.0")
VERSION_WITHOUT_ATTACHMENTS = "2.0"

# TJ-yy-MMdd-nnnnnn (the same pattern is in the XSD as TianjinOrderNo).
ORDER_NO_PATTERN = r"TJ-[0-9]{2}-[0-9]{4}-[0-9]{6}"
ORDER_NO = re.compile(ORDER_NO_PATTERN)
ORDER_NO_DESCRIPTION = "TJ-yy-MMdd-nnnnnn"

# AcceptedAt, DueAt, Step/@at: yyyyMMddHHmmss in Beijing time.
TIME_FORMAT = "%Y%m%d%H%M%S"

# Place/Coord/@crs when absent: the SPEC says Tianjin always sends Baidu coordinates.
DEFAULT_CRS = "BD09"

# xs:boolean's lexical forms; Tianjin writes true/false.
BOOLEANS = {"true": True, "false": False, "1": True, "0": False}

CODES_FILE = "tianjin/codes.yaml"


@dataclass(frozen=True, slots=True)
class Tables:
    """One CodeTable per closed list; `field` is the native path a rejection names."""

    kind: CodeTable
    source: CodeTable
    request_type: CodeTable
    state: CodeTable
    certificate_type: CodeTable
    priority: CodeTable
    satisfaction: CodeTable
    petition_form: CodeTable
    petition_purpose: CodeTable
    crs: CodeTable


# codes.yaml key -> (common enum, native field path named in rejections).
TABLE_FIELDS = {
    "WorkOrder@type": ("kind", case_pb2.CaseKind, "WorkOrder@type"),
    "Source": ("source", case_pb2.Channel, "Source"),
    "Kind": ("request_type", case_pb2.RequestType, "Kind"),
    "State": ("state", case_pb2.Status, "State"),
    "Certificate@type": ("certificate_type", case_pb2.IdType, "Caller/Certificate@type"),
    "Priority": ("priority", case_pb2.Urgency, "Priority"),
    "Feedback@satisfaction": ("satisfaction", case_pb2.Satisfaction, "Feedback@satisfaction"),
    "Petition@form": ("petition_form", case_pb2.PetitionForm, "Petition@form"),
    "Petition@purpose": ("petition_purpose", case_pb2.PetitionPurpose, "Petition@purpose"),
    "Coord@crs": ("crs", case_pb2.Crs, "Place/Coord@crs"),
}


@functools.cache
def tables() -> Tables:
    loaded = {
        attribute: CodeTable.from_schema(CODES_FILE, key, enum, field)
        for key, (attribute, enum, field) in TABLE_FIELDS.items()
    }
    return Tables(**loaded)


def codes_yaml() -> dict:
    """The raw YAML (for tests and documentation tools)."""
    return load_yaml(CODES_FILE)
