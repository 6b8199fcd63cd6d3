"""Information sharing: addressed audiences, minimised personal data, cross-region repeat links."""

from __future__ import annotations

from nats.js.errors import NotFoundError

from adapters.beijing import CODEC as BEIJING
from adapters.hebei import CODEC as HEBEI
from kernel.bus import subjects
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from tests.conftest import SHARED
from kernel.jurisdictions import by_name
from tests.support.bus import inbox_consumer, messages_on
from tests.support.secure import connect_as
from tests.support.relay import document, eventually, read_items, take

CHAOYANG = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_complaint_chaoyang.json"
RAW_ID, RAW_PHONE, RAW_NAME = "110105198503121234", "13800138000", "张伟"
SHARE = envelope_pb2.FLOW_INFORMATION_SHARE


async def stored_messages(url: str, layout) -> list[bytes]:
    """Every message every stream holds, as stored bytes (read as the operator)."""
    nc = await connect_as(url, layout)
    js = nc.jetstream()
    found = []
    for route in subjects.FLOW_ROUTES:
        info = await js.stream_info(route.stream)
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages:
                found.append((await js.get_msg(route.stream, seq)).data)
    await nc.close()
    return found


async def test_a_share_addressed_to_tianjin_never_reaches_hebei(federation, nats_server):
    await federation.start("beijing", "tianjin", "hebei")
    beijing, tianjin, hebei = federation.stub("beijing"), federation.stub("tianjin"), federation.stub("hebei")
    answer = await beijing.ShareInformation(adapter_pb2.ShareInformationRequest(
        request_id="warn-1", topic=envelope_pb2.SHARE_TOPIC_EARLY_WARNING, classification=envelope_pb2.CLASSIFICATION_RESTRICTED,
        audience=[case_pb2.JURISDICTION_TIANJIN], title="京津通勤投诉集中", body="检查站排队诉求一周上升40%"))
    assert len(answer.envelope_ids) == 1

    (item,) = await take(tianjin, 1, flows=[SHARE])
    share = item.envelope.information_share
    assert (share.topic, share.title, list(share.audience)) == (
        envelope_pb2.SHARE_TOPIC_EARLY_WARNING, "京津通勤投诉集中", [case_pb2.JURISDICTION_TIANJIN])
    assert item.envelope.sender == case_pb2.JURISDICTION_BEIJING

    # ShareInformation returned after the bus stored the share: nothing is addressed to Hebei ...
    assert await messages_on(nats_server.url, SHARE, subjects.inbox_filter(SHARE, by_name("hebei"))) == {}
    # ... and Hebei's open inbox has nothing to deliver, on the server's own count.
    _, call = await read_items(hebei, count=0, flows=[SHARE])
    consumer = await eventually(lambda: share_inbox_of_hebei(nats_server.url))
    assert (consumer.num_pending, consumer.num_ack_pending, consumer.delivered.stream_seq) == (0, 0, 0)
    call.cancel()


async def share_inbox_of_hebei(url: str):
    try:
        return await inbox_consumer(url, by_name("hebei").token, SHARE)
    except NotFoundError:
        return None  # the inbox session has not created its consumer yet


async def test_shared_case_digests_carry_no_raw_id_phone_or_name(federation, nats_server):
    await federation.start("beijing", "tianjin")
    beijing, tianjin = federation.stub("beijing"), federation.stub("tianjin")
    await beijing.ShareInformation(adapter_pb2.ShareInformationRequest(
        topic=envelope_pb2.SHARE_TOPIC_CASE_DIGEST, audience=[case_pb2.JURISDICTION_TIANJIN], title="本周重点诉求",
        document=document(CHAOYANG)))
    (item,) = await take(tianjin, 1, flows=[SHARE])
    (digest,) = item.envelope.information_share.digests
    assert digest.case_id == "jjj:BJ:BJ2026112400001234"
    assert digest.masked_phone and RAW_PHONE not in digest.masked_phone
    assert digest.masked_name.startswith("张") and RAW_NAME not in digest.masked_name
    assert len(digest.requester_key) == 64
    for data in await stored_messages(nats_server.url, federation.pki):
        for raw in (RAW_ID, RAW_PHONE, RAW_NAME):
            assert raw.encode() not in data


async def indexed(federation, name: str, count: int) -> None:
    async def enough():
        return len(federation.running[name].relay.sharing.index) >= count

    await eventually(enough)


def hebei_case_of_the_same_citizen() -> bytes:
    """The Chaoyang complainant calls Hebei's 12345 a day later about the same building."""
    (case,), _ = BEIJING.decode_all(CHAOYANG.read_bytes())
    case.case_id, case.native_id, case.origin = "jjj:HE:HB1310822026000999", "HB1310822026000999", case_pb2.JURISDICTION_HEBEI
    case.content = "建国路88号小区的物业一直不清运垃圾，楼道里堆满了，北京这边没人管，请帮忙处理。"
    case.received_at.FromSeconds(case.received_at.seconds + 86400)
    case.ClearField("extensions")
    return HEBEI.encode([case])


async def test_the_same_citizen_calling_beijing_then_hebei_is_linked_on_both_sides(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.ShareInformation(adapter_pb2.ShareInformationRequest(
        topic=envelope_pb2.SHARE_TOPIC_CASE_DIGEST, audience=[case_pb2.JURISDICTION_HEBEI], document=document(CHAOYANG)))
    await take(hebei, 1, flows=[SHARE])
    await indexed(federation, "hebei", 1)  # Hebei's adapter indexes the digest as it arrives

    answer = await hebei.ShareInformation(adapter_pb2.ShareInformationRequest(
        topic=envelope_pb2.SHARE_TOPIC_CASE_DIGEST, audience=[case_pb2.JURISDICTION_BEIJING],
        document=adapter_pb2.NativeDocument(content=hebei_case_of_the_same_citizen(), format=adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV)))
    (link,) = answer.repeats
    assert (link.case_id, link.earlier_case_id) == ("jjj:HE:HB1310822026000999", "jjj:BJ:BJ2026112400001234")
    assert link.earlier_origin == case_pb2.JURISDICTION_BEIJING and "content" in link.reasons

    shares = await take(beijing, 2, flows=[SHARE])
    links = [l for item in shares for l in item.envelope.information_share.repeat_links]
    assert [(l.case_id, l.earlier_case_id) for l in links] == [(link.case_id, link.earlier_case_id)]
    for data in await stored_messages(nats_server.url, federation.pki):
        assert RAW_ID.encode() not in data and RAW_PHONE.encode() not in data


async def test_a_case_from_another_citizen_is_not_linked(federation):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.ShareInformation(adapter_pb2.ShareInformationRequest(
        topic=envelope_pb2.SHARE_TOPIC_CASE_DIGEST, audience=[case_pb2.JURISDICTION_HEBEI], document=document(CHAOYANG)))
    await take(hebei, 1, flows=[SHARE])
    await indexed(federation, "hebei", 1)
    (case,), _ = HEBEI.decode_all(hebei_case_of_the_same_citizen())
    case.requester.id_number, case.requester.phone = "130102199001011237", "+8613911112222"
    answer = await hebei.ShareInformation(adapter_pb2.ShareInformationRequest(
        topic=envelope_pb2.SHARE_TOPIC_CASE_DIGEST, document=adapter_pb2.NativeDocument(
            content=HEBEI.encode([case]), format=adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV)))
    assert list(answer.repeats) == []


async def test_an_adapter_started_later_rebuilds_its_repeat_index_from_the_stream(federation):
    await federation.start("beijing")
    await federation.stub("beijing").SubmitDocument(adapter_pb2.SubmitDocumentRequest(
        document=document(CHAOYANG), destination=case_pb2.JURISDICTION_TIANJIN))
    await federation.start("hebei")  # was down while Beijing's digest went out
    hebei = federation.stub("hebei")

    async def linked():
        answer = await hebei.ShareInformation(adapter_pb2.ShareInformationRequest(
            topic=envelope_pb2.SHARE_TOPIC_CASE_DIGEST, audience=[case_pb2.JURISDICTION_BEIJING],
            document=adapter_pb2.NativeDocument(content=hebei_case_of_the_same_citizen(), format=adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV)))
        return list(answer.repeats)

    (link,) = await eventually(linked)
    assert link.earlier_case_id == "jjj:BJ:BJ2026112400001234"
