"""HebeiCodec: provincial case CSV (GB18030, or UTF-8) <-> common cases.

The Codec base owns the loop, the clock and the guarantee that decoding never
raises; this class only names the Hebei hooks, including split_stream, which
reads a file row by row (memory independent of the file's size).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from adapters.hebei import parser, renderer
from adapters.hebei.from_common import to_row
from adapters.hebei.to_common import record_to_case
from kernel.codec import Codec
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2


class HebeiCodec(Codec):
    jurisdiction = case_pb2.JURISDICTION_HEBEI
    document_format = adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV
    extension = "csv"
    record_field = "row"

    split = staticmethod(parser.split_rows)
    split_stream = staticmethod(parser.split_stream)
    to_common = staticmethod(record_to_case)
    from_common = staticmethod(to_row)
    render = staticmethod(renderer.render)

    def encode_to(self, cases: Iterable[case_pb2.Case], target: BinaryIO) -> None:
        """Like encode, writing to a binary file object chunk by chunk."""
        renderer.render_to(map(to_row, cases), target)
