"""The embedded bus keeps its store encrypted at rest: no citizen's data readable in its files."""

from __future__ import annotations

import stat

from jjj.adapter.v1 import adapter_pb2
from tests.conftest import SHARED
from tests.support.relay import take, submit_request

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"


async def test_cases_on_the_bus_and_in_the_buckets_are_not_readable_from_the_store_files(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    (item,) = await take(hebei, 1)
    requester = item.envelope.referral.case.requester
    secrets = [value.encode() for value in (requester.name, requester.phone, requester.id_number) if value]
    # Control: the envelope as it travels holds them in the clear (protobuf keeps strings as UTF-8).
    assert secrets and all(secret in item.envelope.SerializeToString() for secret in secrets)
    record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=item.envelope.referral.case.case_id))
    assert record.case.requester.name == requester.name  # and the adapter's bucket holds the case

    files = [path for path in nats_server.store_dir.rglob("*") if path.is_file()]
    assert sum(path.stat().st_size for path in files) > 1000, "the store holds the messages"
    for path in files:
        content = path.read_bytes()
        assert not [secret for secret in secrets if secret in content], path
    config = nats_server.store_dir.parent / "nats-server.conf"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600  # it holds the store key
    assert stat.S_IMODE((nats_server.store_dir.parent / "store.key").stat().st_mode) == 0o600
