"""Beijing 12345 接诉即办 work orders (JSON, schema 3.2): parser, mapper, renderer, codec."""

from adapters.beijing.codec import BeijingCodec

CODEC = BeijingCodec()

__all__ = ["CODEC", "BeijingCodec"]
