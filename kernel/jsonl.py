"""The common model itself as a document: canonical protobuf JSON of Case, one per line."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from google.protobuf import json_format

from kernel.codec import Accepted, Codec, Outcome, Rejected
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2


def case_json(case: case_pb2.Case) -> str:
    return json_format.MessageToJson(case, indent=None, ensure_ascii=False)


class CommonJsonlCodec(Codec):
    jurisdiction = case_pb2.JURISDICTION_UNSPECIFIED
    document_format = adapter_pb2.DOCUMENT_FORMAT_COMMON_JSONL
    extension = "jsonl"

    def decode(self, content: bytes) -> Iterator[Outcome]:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            yield Rejected("document", f"not UTF-8: {error}", raw=content)
            return
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                case = json_format.Parse(line, case_pb2.Case())
            except json_format.ParseError as error:
                yield Rejected("case", f"not a canonical JSON Case: {error}", row=number, raw=line.encode())
                continue
            if not case.case_id:
                yield Rejected("case_id", "missing", row=number, raw=line.encode())
                continue
            yield Accepted(case)

    def encode(self, cases: Sequence[case_pb2.Case]) -> bytes:
        return "".join(case_json(case) + "\n" for case in cases).encode("utf-8")


CODEC = CommonJsonlCodec()
