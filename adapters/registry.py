"""Which codec reads which jurisdiction's format."""

from __future__ import annotations

import importlib

from kernel import jsonl
from kernel.codec import Codec
from kernel.jurisdictions import members
from kernel.errors import UnsupportedDocumentFormat


def codec_for(jurisdiction_name: str) -> Codec:
    """The codec of `beijing`, `tianjin` or `hebei` (adapters/<name>/__init__.py exports CODEC)."""
    module = importlib.import_module(f"adapters.{jurisdiction_name}")
    return module.CODEC


def codec_for_format(document_format: int) -> Codec:
    if document_format == jsonl.CODEC.document_format:
        return jsonl.CODEC
    for member in members():
        if member.document_format == document_format:
            return codec_for(member.name)
    raise UnsupportedDocumentFormat(f"no codec for document format {document_format}",
                                    violations=[("document.format", "no codec reads this format")])
