"""SubmitDocument with a batch where some rows are bad, and with the common model itself (COMMON_JSONL)."""

from __future__ import annotations

import csv
import io
import json

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from adapters.registry import codec_for
from kernel import jsonl
from kernel.bus import subjects
from kernel.jurisdictions import by_name
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from tests.conftest import SHARED
from tests.support.bus import messages_on
from tests.support.relay import take

REFERRAL = envelope_pb2.FLOW_REFERRAL
MIXED_FOUR = SHARED / "jurisdictions/hebei/samples/valid/hb_mixed_four.csv"
SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
SANHE_ID = "jjj:BJ:BJ2026112400002001"
HEPING = SHARED / "jurisdictions/tianjin/samples/valid/tj_complaint_heping.xml"


def mixed_four_with_two_bad_rows() -> tuple[bytes, list[bytes]]:
    """hb_mixed_four.csv with an impossible time in row 3 and a malformed case number in row 5;
    returns the document and its lines as bytes (row n is lines[n - 1])."""
    lines = MIXED_FOUR.read_bytes().decode("gb18030").splitlines(keepends=True)
    assert len(lines) == 5
    lines[2] = lines[2].replace("2026/11/23 14:30", "2026/13/45 14:30", 1)
    lines[4] = lines[4].replace("HB1310222026000124", "X", 1)
    encoded = [line.encode("gb18030") for line in lines]
    return b"".join(encoded), encoded


async def test_a_batch_with_bad_rows_sends_the_good_ones_and_quarantines_the_bad(federation, settings, nats_server):
    await federation.start("beijing", "hebei")
    hebei = federation.stub("hebei")
    content, lines = mixed_four_with_two_bad_rows()

    answer = await hebei.SubmitDocument(adapter_pb2.SubmitDocumentRequest(
        request_id="he-batch-1", destination=case_pb2.JURISDICTION_BEIJING, document=adapter_pb2.NativeDocument(
            content=content, format=adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV, filename="batch.csv")))

    assert [(s.case_id, s.destination) for s in answer.submissions] == [
        ("jjj:HE:HB1310222026000123", case_pb2.JURISDICTION_BEIJING),
        ("jjj:HE:HB1310032026000789", case_pb2.JURISDICTION_BEIJING)]
    assert [(r.row, r.record, r.field) for r in answer.rejections] == [(3, 1, "登记时间"), (5, 3, "件号")]
    assert "2026/13/45" in answer.rejections[0].reason and "'X'" in answer.rejections[1].reason

    # Each bad row is kept on its own, as received, under its quarantine id, with what was wrong.
    kept = settings.resolved_quarantine_dir() / "hebei"
    for rejection in answer.rejections:
        assert rejection.quarantine_id
        assert (kept / f"{rejection.quarantine_id}.bin").read_bytes() == lines[rejection.row - 1]
        meta = json.loads((kept / f"{rejection.quarantine_id}.json").read_text(encoding="utf-8"))
        assert (meta["row"], meta["field"], meta["reason"], meta["filename"], meta["request_id"]) == (
            rejection.row, rejection.field, rejection.reason, "batch.csv", "he-batch-1")
    assert len(list(kept.glob("*.bin"))) == 2
    # Personal data at rest: only the adapter's own user can read the quarantine.
    assert {oct(path.stat().st_mode & 0o777) for path in kept.iterdir()} == {"0o600"}
    assert {oct(d.stat().st_mode & 0o777) for d in (kept, kept.parent)} == {"0o700"}

    # Only the good rows went out.
    to_beijing = subjects.subject(REFERRAL, by_name("beijing"), by_name("hebei"))
    assert await messages_on(nats_server.url, REFERRAL) == {to_beijing: 2}
    items = await take(federation.stub("beijing"), 2, flows=[REFERRAL])
    assert sorted(item.envelope.referral.case.case_id for item in items) == sorted(s.case_id for s in answer.submissions)


async def test_a_batch_of_only_bad_rows_is_refused_naming_each(federation, settings):
    await federation.start("hebei")
    content, lines = mixed_four_with_two_bad_rows()
    only_bad = lines[0] + lines[2] + lines[4]
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await federation.stub("hebei").SubmitDocument(adapter_pb2.SubmitDocumentRequest(
            destination=case_pb2.JURISDICTION_BEIJING,
            document=adapter_pb2.NativeDocument(content=only_bad, format=adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV)))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = error_details_pb2.BadRequest()
    assert any(detail.Unpack(violations) for detail in rpc_status.from_call(raised.value).details)
    assert [v.field for v in violations.field_violations] == ["登记时间", "件号"]
    assert len(list((settings.resolved_quarantine_dir() / "hebei").glob("*.bin"))) == 2


async def test_a_common_jsonl_submission_reaches_the_receiver_in_its_own_format(federation, nats_server):
    await federation.start("beijing", "hebei")
    (case,), _ = codec_for("beijing").decode_all(SANHE.read_bytes())
    document = adapter_pb2.NativeDocument(content=jsonl.CODEC.encode([case]), format=adapter_pb2.DOCUMENT_FORMAT_COMMON_JSONL,
                                          filename="cases.jsonl")

    answer = await federation.stub("beijing").SubmitDocument(adapter_pb2.SubmitDocumentRequest(document=document))
    assert [(s.case_id, s.destination, s.basis) for s in answer.submissions] == [
        (SANHE_ID, case_pb2.JURISDICTION_HEBEI, envelope_pb2.ROUTING_BASIS_LOCATION)]

    (item,) = await take(federation.stub("hebei"), 1, flows=[REFERRAL])
    assert item.envelope.referral.case == case  # the common case as submitted, nothing lost on the way
    assert item.native.format == adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV
    assert item.native.filename == "BJ2026112400002001.csv"
    (row,) = csv.DictReader(io.StringIO(item.native.content.decode("gb18030")))
    assert (row["件号"], row["区县代码"], row["诉求类型"], row["内容"]) == ("BJ2026112400002001", "131082", "投诉", case.content)


async def test_a_common_jsonl_document_is_checked_line_by_line(federation):
    await federation.start("beijing", "hebei")
    (sanhe,), _ = codec_for("beijing").decode_all(SANHE.read_bytes())
    (heping,), _ = codec_for("tianjin").decode_all(HEPING.read_bytes())
    content = jsonl.CODEC.encode([sanhe]) + b"{not json\n" + jsonl.CODEC.encode([heping])

    answer = await federation.stub("beijing").SubmitDocument(adapter_pb2.SubmitDocumentRequest(
        document=adapter_pb2.NativeDocument(content=content, format=adapter_pb2.DOCUMENT_FORMAT_COMMON_JSONL)))
    assert [s.case_id for s in answer.submissions] == [SANHE_ID]
    assert [(r.row, r.field) for r in answer.rejections] == [(2, "case"), (0, "case_id")]
    assert "JURISDICTION_TIANJIN" in answer.rejections[1].reason  # Beijing sends only the cases it registered
