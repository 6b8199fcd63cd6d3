"""The Exchanges, Deadlines and Charts pages in a real browser (Debian's chromium, headless, through Playwright)
against a real federation: nats-server with TLS, adapters and the gateway in this process, member systems over mTLS."""

from __future__ import annotations

import re
import shutil
from datetime import datetime

import pytest
from playwright.async_api import expect

from tests.conftest import SHARED
from tests.support import relay as relay_support
from tests.support.bus import Bus
from tests.support.console import ApiClient, browser, log_in, start_with_console
from tests.support.relay import eventually, read_items
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")]

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"  # Beijing -> Hebei by location
SANHE_ID = "jjj:BJ:BJ2026112400002001"
CHAOYANG = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_complaint_chaoyang.json"
LIVE = 20_000  # ms: what the page must show by itself, on a loaded machine


async def _stored_size(settings, envelope_id: str) -> int:
    bus = await Bus.connect(settings.nats_url)
    try:
        for message in await bus.stored("JJJ_REFERRALS"):
            if message.headers and message.headers.get("Nats-Msg-Id") == envelope_id:
                return len(message.data)
    finally:
        await bus.close()
    return 0


async def test_the_exchange_page_shows_a_referrals_operational_record_once_its_member_acknowledged(federation, tmp_path, output_dir):
    console = await start_with_console(federation, "beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    envelope_id = (await beijing.SubmitDocument(relay_support.submit_request(SANHE, "record-1"))).submissions[0].envelope_id
    size = await eventually(lambda: _stored_size(federation.settings, envelope_id))

    # Shown once in a session that ends without acknowledging, then again in the next: two deliveries.
    (first,), call = await read_items(hebei, count=1)
    call.cancel()
    (again,), call = await read_items(hebei, count=1, timeout=30)
    assert (again.envelope.envelope_id, again.delivery_count) == (envelope_id, 2)
    await hebei.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=again.item_id))
    call.cancel()

    async with browser(tmp_path / "profile") as context:
        page = await context.new_page()
        await log_in(page, console.url, "fed")
        await expect(page.get_by_test_id("overview")).to_be_visible(timeout=LIVE)
        await page.evaluate(f"location.hash = '#/exchanges?case_id={SANHE_ID}&flow=referral'")
        row = page.locator(f'[data-testid=exchanges] tr[data-envelope="{envelope_id}"]')
        await expect(row.locator("td[data-key=delivery_count]")).to_have_text("2", timeout=LIVE)
        await expect(row.locator("td[data-key=size_bytes]")).to_have_text(f"{size} B")
        for column in ("sent_at", "published_at", "delivered_at", "acknowledged_at"):
            await expect(row.locator(f"td[data-key={column}]")).not_to_be_empty()
        await page.screenshot(path=str(output_dir / "exchanges-record.png"), full_page=True)

    # The same record through the API, searchable by native id, pair, status and time range; times in order.
    api = ApiClient(console.url)
    assert await api.log_in("fed") == 200
    query = "native_id=BJ2026112400002001&sender=beijing&destination=hebei&status=referred&since=2000-01-01T00:00:00%2B00:00"
    (record,) = (await api.call(f"/api/exchanges?{query}"))[1]["exchanges"]
    assert (record["envelope_id"], record["size_bytes"], record["delivery_count"], record["publications"]) == (envelope_id, size, 2, 1)
    times = [datetime.fromisoformat(record[key]) for key in ("sent_at", "published_at", "delivered_at", "acknowledged_at")]
    assert times == sorted(times)
    assert (await api.call(f"/api/exchanges?{query.replace('2000-01-01', '2999-01-01')}"))[1]["exchanges"] == []
    assert (await api.call("/api/exchanges?native_id=BJ2026112400002001&status=closed"))[1]["exchanges"] == []


async def test_a_case_due_soon_appears_on_the_deadlines_page_without_a_reload(federation, tmp_path, output_dir):
    console = await start_with_console(federation, "beijing", "hebei")
    async with browser(tmp_path / "profile") as context:
        page = await context.new_page()
        await log_in(page, console.url, "fed")
        await expect(page.get_by_test_id("overview")).to_be_visible(timeout=LIVE)
        await page.click('a[href="#/deadlines"]')
        deadlines = page.get_by_test_id("deadlines")
        await expect(deadlines.locator("td.empty")).to_have_count(1, timeout=LIVE)
        await page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded

        await federation.stub("beijing").SubmitDocument(relay_support.submit_request(SANHE, "deadline-1"))
        row = deadlines.locator("tr", has=page.locator(f'a[data-case="{SANHE_ID}"]'))
        await expect(row).to_have_count(1, timeout=LIVE)
        # An ordinary hotline transfer: Hebei signs for it within 24 hours (schemas/deadlines.yaml).
        await expect(row.locator("td[data-key=step]")).to_have_text("hotline_sign_ordinary")
        await expect(row.locator("td[data-key=left]")).to_have_text(re.compile(r"^(1d 0h 0m|23h 5\dm)$"))
        await page.screenshot(path=str(output_dir / "deadlines.png"), full_page=True)
        assert await page.evaluate("window.__sameDocument") is True

        # Only the soonest are listed (200 unless the address asks for another limit); a line counts them all.
        await expect(page.get_by_test_id("deadlines-shown")).to_have_text("")  # all shown: no count line
        second = SANHE.read_bytes().replace(b"BJ2026112400002001", b"BJ2026112400002002")
        await federation.stub("beijing").SubmitDocument(adapter_pb2.SubmitDocumentRequest(
            request_id="deadline-2", document=adapter_pb2.NativeDocument(
                content=second, format=adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON, filename="second.json")))
        api = ApiClient(console.url)
        assert await api.log_in("fed") == 200

        async def two_or_more():
            total = (await api.call("/api/deadlines"))[1]["total"]
            return total if total >= 2 else None
        every = await eventually(two_or_more, timeout=LIVE / 1000)
        await page.evaluate("location.hash = '#/deadlines?limit=1'")
        await expect(page.get_by_test_id("deadlines-shown")).to_have_text(f"显示最紧迫的 1 条，共 {every} 条", timeout=LIVE)
        await expect(deadlines.locator("tbody tr")).to_have_count(1)
        await page.evaluate("location.hash = '#/deadlines'")
        await expect(page.get_by_test_id("deadlines-shown")).to_have_text("", timeout=LIVE)
        await expect(deadlines.locator("tbody tr")).to_have_count(every)

        # Signed: the signing clock stops and leaves the page, again without a reload.
        await federation.stub("hebei").ReportStatus(adapter_pb2.ReportStatusRequest(
            request_id="he-sign", case_id=SANHE_ID, status=case_pb2.STATUS_RECEIVED, actor="廊坊12345", note="已签收"))
        await expect(row.locator("td[data-key=step]", has_text="hotline_sign_ordinary")).to_have_count(0, timeout=LIVE)
        assert await page.evaluate("window.__sameDocument") is True


async def test_the_charts_page_draws_a_pairs_throughput_after_referrals(federation, tmp_path, output_dir):
    console = await start_with_console(federation, "beijing", "hebei")
    beijing = federation.stub("beijing")
    async with browser(tmp_path / "profile") as context:
        page = await context.new_page()
        await log_in(page, console.url, "fed")
        await expect(page.get_by_test_id("overview")).to_be_visible(timeout=LIVE)
        await page.click('a[href="#/charts"]')
        chart = page.locator('.chart-box[data-pair="beijing-hebei"]')
        await expect(chart).to_have_count(0, timeout=LIVE)

        await beijing.SubmitDocument(relay_support.submit_request(SANHE, "chart-1"))
        await beijing.SubmitDocument(relay_support.submit_request(CHAOYANG, "chart-2", destination=case_pb2.JURISDICTION_HEBEI))
        await expect(chart).to_have_attribute("data-total", "2", timeout=LIVE)
        drawn = chart.locator("svg.chart rect")
        await expect(drawn).to_have_count(60)  # one bar a minute over the last hour
        heights = await drawn.evaluate_all("(bars) => bars.map((bar) => Number(bar.getAttribute('height')))")
        assert sum(1 for height in heights if height > 0) in (1, 2)  # both in the last minute or across two
        await expect(page.locator('.chart-box[data-pair="hebei-beijing"]')).to_have_count(0)
        await page.screenshot(path=str(output_dir / "charts.png"), full_page=True)
