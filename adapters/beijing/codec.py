"""BeijingCodec: the Beijing 12345 JSON work order format, both ways.

The Codec base owns the loop, the clock and the guarantee that decoding never
raises; this class only names the Beijing hooks.
"""

from __future__ import annotations

from adapters.beijing import parser, renderer
from adapters.beijing.from_common import case_to_native
from adapters.beijing.to_common import record_to_case
from kernel.codec import Codec
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2


class BeijingCodec(Codec):
    jurisdiction = case_pb2.JURISDICTION_BEIJING
    document_format = adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON
    extension = "json"
    document_field = record_field = parser.FIELD

    split = staticmethod(parser.split_orders)
    to_common = staticmethod(record_to_case)
    from_common = staticmethod(case_to_native)
    render = staticmethod(renderer.render)
