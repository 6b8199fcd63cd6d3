"""ListCases over gRPC pages through every matching case exactly once. A real server on a projection in memory."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf import timestamp_pb2

from gateway.projection.store import SqliteProjection
from gateway.query import MAX_PAGE, SERVICE_NAME, GatewayQueryServicer
from kernel.security import pki
from tests.support.secure import files_of, member_channel
from kernel.domain.deadlines import DeadlinePolicy
from kernel.rpc.server import serve
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from jjj.gateway.v1 import gateway_pb2, gateway_pb2_grpc

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
BJ, TJ, HE = case_pb2.JURISDICTION_BEIJING, case_pb2.JURISDICTION_TIANJIN, case_pb2.JURISDICTION_HEBEI


def referral(number: int, destination: int) -> envelope_pb2.Envelope:
    native_id = f"BJ20261124{number:08d}"
    case = case_pb2.Case(case_id=f"jjj:BJ:{native_id}", origin=BJ, native_id=native_id)
    sent_at = timestamp_pb2.Timestamp()
    sent_at.FromDatetime(T0 + timedelta(minutes=number))
    return envelope_pb2.Envelope(envelope_id=f"{case.case_id}/referral/1", flow=envelope_pb2.FLOW_REFERRAL, sender=BJ,
                                 destination=destination, sent_at=sent_at, referral=envelope_pb2.Referral(case=case, attempt=1))


@asynccontextmanager
async def serving(store: SqliteProjection, layout: pki.PkiLayout):
    servicer = GatewayQueryServicer(store, DeadlinePolicy.load())
    served = await serve(SERVICE_NAME, lambda server: gateway_pb2_grpc.add_GatewayQueryServiceServicer_to_server(servicer, server),
                         "127.0.0.1:0", tls=files_of(layout, pki.GATEWAY))
    channel = member_channel(layout, "beijing", f"127.0.0.1:{served.port}")
    try:
        yield gateway_pb2_grpc.GatewayQueryServiceStub(channel)
    finally:
        await channel.close()
        await served.stop(0)


@pytest.fixture
async def gateway_with_cases(pki_layout):
    """A gateway query service over 23 Beijing cases (every third one referred to Tianjin, the rest to Hebei),
    stored in shuffled order."""
    store = SqliteProjection(":memory:")
    numbers = [(n * 7) % 23 for n in range(23)]  # a permutation of 0..22
    for seq, number in enumerate(numbers, start=1):
        store.apply(referral(number, TJ if number % 3 == 0 else HE), stream="JJJ_REFERRALS", stream_seq=seq, observed_at=T0)
    async with serving(store, pki_layout) as stub:
        yield stub, store
    store.close()


async def all_pages(stub, **request) -> list[list[str]]:
    pages, token = [], ""
    while True:
        answer = await stub.ListCases(gateway_pb2.ListCasesRequest(page_token=token, **request))
        pages.append([record.case_id for record in answer.records])
        token = answer.next_page_token
        if not token:
            return pages
        assert len(pages) < 100, "paging does not end"


def every_case(store, holder: int = 0) -> list[str]:
    rows = store.db.execute("SELECT case_id FROM cases WHERE ?=0 OR holder=? ORDER BY case_id", (holder, holder))
    return [case_id for (case_id,) in rows]


@pytest.mark.parametrize("page_size", [1, 5, 22, 23, 24])
async def test_pages_cover_every_case_once_in_order(gateway_with_cases, page_size):
    stub, store = gateway_with_cases
    pages = await all_pages(stub, page_size=page_size)
    expected = every_case(store)
    assert len(expected) == 23
    assert [case_id for page in pages for case_id in page] == expected
    assert [len(page) for page in pages] == [page_size] * (23 // page_size) + ([23 % page_size] if 23 % page_size else [])


async def test_a_filter_pages_only_through_its_own_cases(gateway_with_cases):
    stub, store = gateway_with_cases
    pages = await all_pages(stub, page_size=3, holder=TJ)
    tianjin = every_case(store, TJ)
    assert len(tianjin) == 8
    assert [case_id for page in pages for case_id in page] == tianjin
    assert [len(page) for page in pages] == [3, 3, 2]


async def test_a_token_resumes_after_the_last_case_it_named(gateway_with_cases):
    stub, store = gateway_with_cases
    first = await stub.ListCases(gateway_pb2.ListCasesRequest(page_size=4))
    assert first.next_page_token == first.records[-1].case_id
    again = await stub.ListCases(gateway_pb2.ListCasesRequest(page_size=4, page_token=first.next_page_token))
    assert [r.case_id for r in again.records] == every_case(store)[4:8]


async def test_without_a_page_size_a_page_is_100_and_never_more_than_the_maximum(pki_layout):
    store = SqliteProjection(":memory:")
    for seq in range(1, MAX_PAGE + 12):
        store.apply(referral(seq, HE), stream="JJJ_REFERRALS", stream_seq=seq, observed_at=T0)
    async with serving(store, pki_layout) as stub:
        default = await stub.ListCases(gateway_pb2.ListCasesRequest())
        assert len(default.records) == 100 and default.next_page_token == default.records[-1].case_id
        capped = await stub.ListCases(gateway_pb2.ListCasesRequest(page_size=10 * MAX_PAGE))
        assert len(capped.records) == MAX_PAGE and capped.next_page_token
        rest = await stub.ListCases(gateway_pb2.ListCasesRequest(page_size=MAX_PAGE, page_token=capped.next_page_token))
        assert len(rest.records) == 11 and rest.next_page_token == ""
    store.close()
