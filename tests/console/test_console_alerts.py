"""Alerts against a real federation: a lagging member inbox and a certificate near expiry are shown on the page
and sent to the members as federation notices on the bus, each once while it lasts (not at every refresh,
not again after a gateway restart)."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter

import pytest
from playwright.async_api import expect

from kernel.config import ConsoleAlertSettings, Settings
from tests.conftest import SHARED
from tests.support import relay as relay_support
from tests.support.bus import Bus
from tests.support.console import ApiClient, browser, log_in, start_with_console
from tests.support.relay import eventually, read_items
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2

pytestmark = [pytest.mark.slow]

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"  # Beijing -> Hebei by location
LIVE = 20_000
LAG = "inbox-lagging:hebei"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # One message waiting is lagging here; every certificate of the test PKI is "near expiry".
    alerts = ConsoleAlertSettings(inbox_pending=1, certificate_days=1_000_000, notice_every_seconds=3600)
    return settings.model_copy(update={"console": settings.console.model_copy(update={"alerts": alerts})})


async def _notices(settings: Settings) -> Counter:
    """(alert key, member token) -> federation notices of it stored on JJJ_SHARES."""
    bus = await Bus.connect(settings.nats_url)
    try:
        stored = await bus.stored("JJJ_SHARES")
    finally:
        await bus.close()
    sent = Counter()
    for message in stored:
        envelope = envelope_pb2.Envelope.FromString(message.data)
        if envelope.envelope_id.startswith("alert/"):
            assert envelope.information_share.topic == envelope_pb2.SHARE_TOPIC_NOTICE
            assert envelope.signature.key_id  # signed by the federation
            key, _stamp, token = envelope.envelope_id.removeprefix("alert/").rsplit("/", 2)
            sent[(key, token)] += 1
    return sent


async def test_a_lagging_inbox_and_a_certificate_near_expiry_are_shown_and_notified_once(federation, tmp_path):
    console = await start_with_console(federation, "beijing", "hebei")
    hebei = federation.stub("hebei")
    # Hebei's member system opens its inbox once (its consumers exist from then on) and goes away.
    call = hebei.OpenInbox(adapter_pb2.OpenInboxRequest())
    await eventually(lambda: _inbox_known(console, "hebei"), timeout=20)
    call.cancel()
    await federation.stub("beijing").SubmitDocument(relay_support.submit_request(SANHE, "alert-lag"))

    async def both_sent() -> Counter | None:
        sent = await _notices(federation.settings)
        certificate = [key for key, _ in sent if key.startswith("certificate:")]
        return sent if (LAG, "he") in sent and certificate else None

    sent = await eventually(both_sent, timeout=30)
    certificates = sorted({key for key, _ in sent if key.startswith("certificate:")})
    assert (LAG, "bj") not in sent and (LAG, "tj") not in sent  # the lag concerns Hebei only
    for key in certificates:  # a certificate concerns every member
        assert {token for k, token in sent if k == key} == {"bj", "tj", "he"}

    # Shown to operators (page and API) while it lasts.
    api = ApiClient(console.url)
    assert await api.log_in("fed") == 200
    shown = {alert["key"] for alert in (await api.call("/api/overview"))[1]["alerts"]}
    assert {LAG, *certificates} <= shown

    # Several refreshes later (the alerts still there, Hebei's backlog grown by the notices): nothing sent again.
    serial = console.ctx.snapshot.serial
    await eventually(lambda: _after(console, serial + 6), timeout=30)
    again = await _notices(federation.settings)
    assert {LAG, *certificates} <= {alert.key for alert in console.ctx.snapshot.alerts}
    for key in (LAG, *certificates):
        assert {token: n for (k, token), n in again.items() if k == key} == {token: n for (k, token), n in sent.items() if k == key}
        assert all(n == 1 for (k, _), n in again.items() if k == key), key

    # Hebei's member system receives the lag notice in its inbox.
    items, call = await read_items(hebei, count=1 + len(certificates), timeout=20, flows=(envelope_pb2.FLOW_INFORMATION_SHARE,))
    call.cancel()
    assert any(item.envelope.envelope_id.startswith(f"alert/{LAG}/") for item in items)

    # A gateway restart remembers what was sent (the console's SQLite): the standing alerts are not sent again.
    await federation.gateway.stop(grace=0.5)
    await federation.start_gateway()
    console = federation.gateway.console
    await eventually(lambda: _after(console, 4), timeout=30)
    assert {LAG, *certificates} <= {alert.key for alert in console.ctx.snapshot.alerts}
    after_restart = await _notices(federation.settings)
    assert {key: n for key, n in after_restart.items() if key[0] in (LAG, *certificates)} == \
        {key: n for key, n in sent.items() if key[0] in (LAG, *certificates)}

    if shutil.which("chromium") is None:
        return
    async with browser(tmp_path / "profile") as context:
        page = await context.new_page()
        await log_in(page, console.url, "fed")
        await expect(page.locator(f'[data-alert="{LAG}"]')).to_be_visible(timeout=LIVE)
        await expect(page.locator(f'[data-alert="{certificates[0]}"]')).to_be_visible(timeout=LIVE)


async def _inbox_known(console, member: str) -> bool:
    await asyncio.sleep(0.1)
    return any(inbox["member"] == member and inbox["consumers"] for inbox in console.ctx.snapshot.inboxes)


async def _after(console, serial: int) -> bool:
    await asyncio.sleep(0.1)
    return console.ctx.snapshot.serial >= serial
