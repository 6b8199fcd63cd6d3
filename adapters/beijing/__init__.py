"""Beijing 12345 接诉即办 work orders (JSON, schema 3.2) <-> the common case model.

parser, tables, to_common, from_common, renderer, codec, as in every jurisdiction
package; README.md lists them and Beijing's helpers (schema, canonical, residue, hotpath).
"""

from adapters.beijing.codec import BeijingCodec

CODEC = BeijingCodec()

__all__ = ["CODEC", "BeijingCodec"]
