"""Hebei provincial case export: CSV in GB18030 (or UTF-8) <-> the common case model.

Modules: schema (columns.yaml and codes.yaml), cells (structured cells), mapper
(row <-> case), parser (bytes -> outcomes, streamed), renderer (cases -> bytes),
codec (the Codec contract).
"""

from adapters.hebei.codec import HebeiCodec

CODEC = HebeiCodec()

__all__ = ["CODEC", "HebeiCodec"]
