"""Tianjin 12345 work orders (XML, namespace urn:tj12345:workorder:2) <-> the common case model.

parser.py (bytes -> elements, safely), mapper.py (element <-> case), renderer.py
(cases -> bytes), codec.py (the Codec wiring them); tables in schemas/tianjin/.
"""

from adapters.tianjin.codec import TianjinCodec

CODEC = TianjinCodec()

__all__ = ["CODEC", "TianjinCodec"]
