"""Hebei provincial case export: CSV in GB18030 (or UTF-8) <-> the common case model.

As in every jurisdiction package: parser (bytes -> rows, streamed), tables
(columns.yaml and codes.yaml), to_common (row -> case), from_common (case -> row),
renderer (rows -> bytes), codec (the Codec hooks). Helpers: cells (structured
cells, both ways), synthetic (generated exports for benchmarks and tests).
"""

from adapters.hebei.codec import HebeiCodec

CODEC = HebeiCodec()

__all__ = ["CODEC", "HebeiCodec"]
