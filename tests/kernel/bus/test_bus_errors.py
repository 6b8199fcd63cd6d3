"""Which nats failures are an outage (retry later) and which are a refusal (do not)."""

from __future__ import annotations

import nats.errors
import nats.js.errors
import pytest

from kernel.bus.jetstream import as_bus_error, bus_errors
from kernel.errors import BusError, BusRefused, BusUnavailable, MessageTooLarge

OUTAGES = [
    nats.errors.TimeoutError(), nats.errors.NoServersError(), nats.errors.ConnectionClosedError(),
    nats.errors.ConnectionReconnectingError(), nats.errors.ConnectionDrainingError(), nats.errors.StaleConnectionError(),
    nats.errors.UnexpectedEOF(), nats.errors.OutboundBufferLimitError(), nats.errors.NoRespondersError(),
    nats.errors.FlushTimeoutError(), nats.js.errors.FetchTimeoutError(), nats.js.errors.NoStreamResponseError(),
    nats.js.errors.ServiceUnavailableError(), TimeoutError(), ConnectionRefusedError(),
]
# A cluster electing a leader answers with a JetStream error; retrying is right, not a refusal.
ELECTIONS = [nats.js.errors.APIError(code=500, description="JetStream cluster can not handle request", err_code=10009),
             nats.js.errors.APIError(code=503, description="JetStream system temporarily unavailable", err_code=10008),
             nats.js.errors.APIError(code=500, description="stream is offline", err_code=10118),
             nats.js.errors.APIError(code=500, description="consumer is offline", err_code=10119)]
REFUSALS = [nats.js.errors.APIError(code=400, description="maximum messages exceeded", err_code=10077),
            nats.js.errors.BadRequestError(code=400, description="bad request"),
            nats.js.errors.ServerError(code=500, description="insufficient resources")]


@pytest.mark.parametrize("error", OUTAGES, ids=lambda e: type(e).__name__)
def test_an_outage_is_bus_unavailable(error):
    assert type(as_bus_error(error, "publishing")) is BusUnavailable


@pytest.mark.parametrize("error", ELECTIONS, ids=lambda e: str(e.err_code))
def test_a_cluster_without_a_leader_for_the_moment_is_bus_unavailable(error):
    assert type(as_bus_error(error, "opening an inbox")) is BusUnavailable


@pytest.mark.parametrize("error", REFUSALS, ids=lambda e: type(e).__name__)
def test_a_jetstream_refusal_is_bus_refused(error):
    assert type(as_bus_error(error, "publishing")) is BusRefused


def test_a_message_above_the_maximum_payload_is_too_large_not_an_outage():
    assert type(as_bus_error(nats.errors.MaxPayloadError(), "publishing x")) is MessageTooLarge


def test_a_nats_error_nobody_named_is_a_plain_bus_error():
    assert type(as_bus_error(nats.errors.BadSubjectError(), "publishing")) is BusError


def test_the_context_manager_raises_the_named_error_chained_to_the_nats_one():
    cause = nats.errors.NoServersError()
    with pytest.raises(BusUnavailable, match="reading a case record") as raised:
        with bus_errors("reading a case record"):
            raise cause
    assert raised.value.__cause__ is cause


def test_the_context_manager_leaves_other_errors_alone():
    with pytest.raises(KeyError):
        with bus_errors("reading"):
            raise KeyError("not a bus error")
    already = BusRefused("publishing: no")
    with pytest.raises(BusRefused) as raised:
        with bus_errors("again"):
            raise already
    assert raised.value is already
