"""The receiving adapter records a case new to it without reading its bucket first, and loses nothing
when the bucket does hold the case already (the create fails, the record is read and updated)."""

from __future__ import annotations

from adapters.service.records import Record
from adapters.service.store import _key
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2 as S
from tests.conftest import SHARED
from tests.support.bus import inspecting
from tests.support.relay import eventually, submit_request, take

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
SANHE_ID = "jjj:BJ:BJ2026112400002001"


def count_reads(running) -> list[str]:
    reads: list[str] = []
    store = running.relay.cases
    original = store._read

    async def counted(key):
        reads.append(key)
        return await original(key)

    store._read = counted
    return reads


async def test_a_case_referred_here_for_the_first_time_is_recorded_without_a_bucket_read(federation):
    await federation.start("beijing", "hebei")
    reads = count_reads(federation.running["hebei"])
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1)
    record = await hebei.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
    assert record.holder == S.JURISDICTION_HEBEI and record.case.case_id == SANHE_ID
    assert _key(SANHE_ID) not in reads[:-1]  # only GetCase read it (the state tracker and the inbox did not)


async def test_a_case_the_bucket_holds_without_a_local_copy_is_read_and_updated_not_overwritten(federation, settings):
    # What the bucket holds from before (a lost data directory, an earlier version without the copies).
    earlier = Record(attempt=0, sequence=0)
    earlier.case.case_id = SANHE_ID
    earlier.case.title = "kept from before"
    async with inspecting(settings.nats_url) as js:
        kv = await js.key_value("JJJ_CASES_HE")
        await kv.put(_key(SANHE_ID), earlier.SerializeToString())
    await federation.start("beijing", "hebei")
    reads = count_reads(federation.running["hebei"])
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1)

    async def recorded():
        async with inspecting(settings.nats_url) as js:
            entry = await (await js.key_value("JJJ_CASES_HE")).get(_key(SANHE_ID))
        stored = Record.FromString(entry.value)
        return stored if stored.holder == S.JURISDICTION_HEBEI else None

    stored = await eventually(recorded)
    assert stored.attempt == 1 and stored.case.title != "kept from before"  # the referral's case, applied
    assert _key(SANHE_ID) in reads  # the failed create was followed by a read
