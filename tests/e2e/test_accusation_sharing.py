"""An accusation petition (检举控告) is never shared as a digest, and goes only to the competent jurisdiction."""

from __future__ import annotations

import json

import grpc
import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from tests.conftest import SHARED
from tests.support.relay import take

PETITION = SHARED / "jurisdictions/beijing/samples/valid/bj_xf_petition_visit.json"


def accusation(tmp_path):
    data = json.loads(PETITION.read_text(encoding="utf-8"))
    data["xfxx"]["xfmd"] = "2"  # 揭发控告
    data["sfdd"]["xzqh"] = "131082"  # the matter is in Sanhe: Hebei is competent
    path = tmp_path / "bj_xf_accusation.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


async def test_an_accusation_shares_no_digest_and_is_not_sent_to_a_non_competent_member(federation, tmp_path):
    await federation.start("beijing", "tianjin", "hebei")
    beijing, tianjin = federation.stub("beijing"), federation.stub("tianjin")
    path = accusation(tmp_path)
    document = adapter_pb2.NativeDocument(content=path.read_bytes(), format=adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON,
                                          filename=path.name)
    await beijing.ShareInformation(adapter_pb2.ShareInformationRequest(
        topic=envelope_pb2.SHARE_TOPIC_CASE_DIGEST, audience=[case_pb2.JURISDICTION_TIANJIN], title="本周重点诉求",
        document=document))
    (item,) = await take(tianjin, 1, flows=[envelope_pb2.FLOW_INFORMATION_SHARE])
    assert list(item.envelope.information_share.digests) == []

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await beijing.SubmitDocument(adapter_pb2.SubmitDocumentRequest(document=document,
                                                                       destination=case_pb2.JURISDICTION_TIANJIN))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "competent" in refused.value.details()
