"""A repeat link carries the earlier case's status now, not the status its digest had when it was indexed:
the earlier case moved on (its holder replied) before the same citizen called again."""

from __future__ import annotations

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c
from tests.e2e.test_sharing import CHAOYANG, hebei_case_of_the_same_citizen, indexed
from tests.support.relay import submit_request, take

EARLIER = "jjj:BJ:BJ2026112400001234"


async def test_the_link_names_the_status_the_earlier_case_has_reached(federation):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(CHAOYANG, destination=c.JURISDICTION_HEBEI))
    await take(hebei, 1, flows=[envelope_pb2.FLOW_REFERRAL])
    await indexed(federation, "hebei", 1)  # the digest of the referred case, with the status it had then
    store = federation.running["hebei"].relay.sharing.index.store  # the adapter's on disk (repeat_store)
    ((indexed_status,),) = store.db.execute("SELECT status FROM records").fetchall()
    assert indexed_status != c.STATUS_REPLIED
    for status in (c.STATUS_RECEIVED, c.STATUS_IN_PROGRESS, c.STATUS_REPLIED):
        await hebei.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=EARLIER, status=status))

    answer = await hebei.ShareInformation(adapter_pb2.ShareInformationRequest(
        topic=envelope_pb2.SHARE_TOPIC_CASE_DIGEST, audience=[c.JURISDICTION_BEIJING],
        document=adapter_pb2.NativeDocument(content=hebei_case_of_the_same_citizen(),
                                            format=adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV)))
    (link,) = answer.repeats
    assert (link.earlier_case_id, link.earlier_status) == (EARLIER, c.STATUS_REPLIED)
