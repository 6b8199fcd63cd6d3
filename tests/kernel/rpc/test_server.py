"""The gRPC server every process runs: a burst of calls beyond what its event loop takes up at once waits
its turn rather than being cancelled by gRPC's core (it keeps 1,000 waiting by default)."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from collections import Counter

import grpc
import pytest

from kernel.errors import StartupError
from kernel.heap import HeapSettings
from kernel.rpc.server import PENDING_CALLS, serve, serve_until_signalled
from kernel.security import pki
from tests.support.secure import files_of, member_channel

BURST = 3000


def _slow_service(server: grpc.aio.Server) -> None:
    async def wait(request: bytes, context) -> bytes:
        await asyncio.sleep(2.0)
        return request

    handler = grpc.unary_unary_rpc_method_handler(wait, request_deserializer=None, response_serializer=None)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Slow", {"Wait": handler}),))


async def _burst(layout: pki.PkiLayout, monkeypatch, options: list) -> Counter:
    monkeypatch.setattr("kernel.rpc.server.PENDING_CALLS", options)
    served = await serve("test.Slow", _slow_service, "127.0.0.1:0", tls=files_of(layout, pki.GATEWAY))
    channel = member_channel(layout, "beijing", f"127.0.0.1:{served.port}")
    call = channel.unary_unary("/test.Slow/Wait")

    async def one(n: int) -> str:
        try:
            return "OK" if await call(str(n).encode(), timeout=60) == str(n).encode() else "WRONG"
        except grpc.aio.AioRpcError as error:
            return error.code().name
    try:
        return Counter(await asyncio.gather(*(one(n) for n in range(BURST))))
    finally:
        await channel.close()
        await served.stop(0)


@pytest.mark.timeout(120)
async def test_a_burst_of_calls_all_get_their_answer(pki_layout, monkeypatch):
    assert await _burst(pki_layout, monkeypatch, PENDING_CALLS) == Counter({"OK": BURST})


@pytest.mark.timeout(120)
async def test_with_grpcs_own_limits_part_of_the_same_burst_is_cancelled(pki_layout, monkeypatch):
    # The control: what the setting above changes (gRPC's defaults, 1,000 waiting calls).
    outcomes = await _burst(pki_layout, monkeypatch, [])
    assert outcomes["CANCELLED"] > 0 and outcomes["OK"] < BURST


@pytest.mark.parametrize("shared_port_allowed", [False, True], ids=["ours", "grpc_default"])
async def test_a_second_server_on_a_port_in_use_fails_to_start_naming_it(pki_layout, monkeypatch, shared_port_allowed):
    if shared_port_allowed:  # the control: gRPC's default lets the second bind, and splits the connections
        monkeypatch.setattr("kernel.rpc.server.NO_SHARED_PORT", [])
    first = await serve("test.Slow", _slow_service, "127.0.0.1:0", tls=files_of(pki_layout, pki.GATEWAY))
    try:
        if shared_port_allowed:
            second = await serve("test.Slow", _slow_service, f"127.0.0.1:{first.port}",
                                 tls=files_of(pki_layout, pki.GATEWAY))
            assert second.port == first.port
            await second.stop(0)
        else:
            with pytest.raises(StartupError, match=f"127.0.0.1:{first.port}.*in use"):
                await serve("test.Slow", _slow_service, f"127.0.0.1:{first.port}", tls=files_of(pki_layout, pki.GATEWAY))
    finally:
        await first.stop(0)


def test_a_served_process_freezes_what_it_holds_until_signalled() -> None:
    """serve_until_signalled runs the heap keeper beside the servers (kernel.heap) and stops it with them."""
    stopped: list[bool] = []

    class Running:
        async def stop(self) -> None:
            stopped.append(True)

    async def start() -> Running:
        return Running()

    async def signal_later() -> None:
        while gc.get_freeze_count() == 0:
            await asyncio.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)

    async def main() -> None:
        sender = asyncio.create_task(signal_later())
        await asyncio.wait_for(serve_until_signalled(start, heap=HeapSettings(freeze_seconds=0.02)), 10)
        await sender

    gc.unfreeze()
    try:
        asyncio.run(main())
        assert stopped == [True] and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.collect()
