"""TianjinCodec: the Tianjin XML work order format, both ways.

The Codec base owns the loop, the clock and the guarantee that decoding never
raises (one bad order of a batch never spoils the rest); this class only names
the Tianjin hooks.
"""

from __future__ import annotations

from adapters.tianjin import parser, renderer
from adapters.tianjin.from_common import case_to_record
from adapters.tianjin.to_common import record_to_case
from kernel.codec import Codec
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2


class TianjinCodec(Codec):
    jurisdiction = case_pb2.JURISDICTION_TIANJIN
    document_format = adapter_pb2.DOCUMENT_FORMAT_TIANJIN_XML
    extension = "xml"
    document_field = record_field = parser.DOCUMENT_FIELD

    split = staticmethod(parser.split_orders)
    to_common = staticmethod(record_to_case)
    from_common = staticmethod(case_to_record)
    render = staticmethod(renderer.render)
