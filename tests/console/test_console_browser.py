"""The console in a real browser (Debian's chromium, headless, through Playwright) against a real federation:
nats-server with TLS, the adapters and the gateway (serving the console) in this process, member systems over mTLS."""

from __future__ import annotations

import shutil

import pytest
from playwright.async_api import expect

from gateway.console.actions import ActionLog
from kernel import jurisdictions
from tests.conftest import SHARED
from tests.support import relay as relay_support
from tests.support.console import ApiClient, browser, force_dead_letter, log_in, start_with_console
from tests.support.relay import eventually, read_items
from tests.support.bus import stream_sequence
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")]

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"  # Beijing -> Hebei by location
SANHE_ID = "jjj:BJ:BJ2026112400002001"
CHAOYANG = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_complaint_chaoyang.json"
LIVE = 20_000  # ms: what the page must show by itself, on a loaded machine


async def start(federation, *names: str):
    return await start_with_console(federation, *names)


async def test_referrals_appear_live_on_the_overview_and_in_the_case_view(federation, tmp_path, output_dir):
    console = await start(federation, "beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    async with browser(tmp_path / "profile") as context:
        page = await context.new_page()
        await log_in(page, console.url, "fed")
        await expect(page.get_by_test_id("overview")).to_be_visible(timeout=LIVE)
        await page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded
        pair = page.locator('[data-testid=pairs] tr[data-pair="beijing-hebei"] td').nth(3)  # waiting to be signed
        await expect(pair).to_have_text("0", timeout=LIVE)
        await expect(page.locator('[data-testid=node-hebei]')).to_have_attribute("data-state", "green", timeout=LIVE)

        await beijing.SubmitDocument(relay_support.submit_request(SANHE, "console-1"))
        await expect(pair).to_have_text("1", timeout=LIVE)
        await expect(page.get_by_test_id("pair-beijing-hebei")).to_contain_text("1", timeout=LIVE)
        shot = output_dir / "overview.png"
        await page.screenshot(path=str(shot), full_page=True)

        await page.click('a[href="#/exchanges"]')
        await page.click(f'[data-testid=exchanges] a[data-case="{SANHE_ID}"]', timeout=LIVE)
        timeline = page.get_by_test_id("timeline")
        await expect(timeline).to_contain_text("REFERRED", timeout=LIVE)
        await expect(timeline).not_to_contain_text("RECEIVED")
        await expect(page.get_by_test_id("case-deadlines")).to_contain_text("running", timeout=LIVE)  # the signing clock

        (item,), call = await read_items(hebei, count=1)
        await hebei.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=item.item_id))
        call.cancel()
        await hebei.ReportStatus(adapter_pb2.ReportStatusRequest(request_id="he-sign", case_id=SANHE_ID,
                                                                 status=case_pb2.STATUS_RECEIVED, actor="廊坊12345", note="已签收"))
        await expect(timeline).to_contain_text("RECEIVED", timeout=LIVE)
        await expect(timeline).to_contain_text("receipt", timeout=LIVE)  # Hebei's acknowledgement, from the audit log
        await expect(page.get_by_test_id("verification")).to_have_attribute("data-chain", "intact", timeout=LIVE)
        await page.screenshot(path=str(output_dir / "case-view.png"), full_page=True)
        assert await page.evaluate("window.__sameDocument") is True
    print(f"\nconsole screenshots: {output_dir}")
    assert shot.stat().st_size > 10_000


async def test_a_dead_letter_is_shown_with_its_reason_and_redriven_from_the_page(federation, tmp_path, output_dir):
    console = await start(federation, "beijing")
    beijing = federation.stub("beijing")
    response = await beijing.SubmitDocument(relay_support.submit_request(CHAOYANG, "console-dead", destination=case_pb2.JURISDICTION_TIANJIN))
    envelope_id = response.submissions[0].envelope_id
    tianjin_member = jurisdictions.by_name("tianjin")
    # Taken off JJJ_REFERRALS before Tianjin's adapter ever reads it, into the dead letters.
    from tests.support.bus import Bus

    bus = await Bus.connect(federation.settings.nats_url)
    try:
        stored = await eventually(lambda: _stored_referral(bus, envelope_id))
    finally:
        await bus.close()
    await force_dead_letter(federation.settings, "JJJ_REFERRALS", stored, tianjin_member, "bj")
    await federation.start("tianjin")
    console.ctx.bus.endpoints.adapter_ports["tianjin"] = federation.running["tianjin"].port

    async with browser(tmp_path / "profile") as context:
        page = await context.new_page()
        await log_in(page, console.url, "fed")
        await expect(page.get_by_test_id("overview")).to_be_visible(timeout=LIVE)
        await expect(page.locator('[data-alert="dead-letters"]')).to_be_visible(timeout=LIVE)
        await page.click('a[href="#/deadletters"]')
        row = page.locator("[data-testid=dead-letters] tr[data-handled=false]")
        await expect(row).to_have_count(1, timeout=LIVE)
        await expect(row.get_by_test_id("reason")).to_have_text("KEY_NOT_VALID")
        await expect(row).to_contain_text("天津")
        # The envelope is shown with the requester masked, its identifiers readable.
        envelope_text = await row.locator("pre").text_content()
        assert "BJ2026112400001234" in envelope_text
        assert "张*" in envelope_text
        for personal in ("张伟", "13800138000", "110105198503121234"):
            assert personal not in envelope_text
        await row.locator("summary").click()  # the masked envelope, opened for the screenshot
        await page.screenshot(path=str(output_dir / "dead-letters.png"), full_page=True)

        await page.fill("#action-reason", "密钥登记已补录，重新投递")
        await row.locator("button[data-redrive]").click()
        await expect(page.get_by_test_id("action-result")).to_have_attribute("data-status", "200", timeout=LIVE)
        await expect(page.locator("[data-testid=dead-letters] tr[data-handled=true]")).to_contain_text("fed")

        tianjin = federation.stub("tianjin")
        (item,), call = await read_items(tianjin, count=1, timeout=20, flows=(envelope_pb2.FLOW_REFERRAL,))
        assert item.envelope.envelope_id == envelope_id
        assert item.native.format == adapter_pb2.DOCUMENT_FORMAT_TIANJIN_XML
        await tianjin.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=item.item_id))
        call.cancel()
        # The dead-letter alert also went to the receiver as a federation notice.
        (notice,), call = await read_items(tianjin, count=1, timeout=20, flows=(envelope_pb2.FLOW_INFORMATION_SHARE,))
        call.cancel()
        assert notice.envelope.envelope_id.startswith("alert/dead-letters/")
        assert notice.envelope.information_share.topic == envelope_pb2.SHARE_TOPIC_NOTICE

        await page.click('a[href="#/actions"]')
        actions = page.get_by_test_id("actions")
        await expect(actions).to_contain_text("redrive", timeout=LIVE)
        await expect(actions).to_contain_text("fed")
        await page.screenshot(path=str(output_dir / "dead-letters-actions.png"), full_page=True)
    log = ActionLog(federation.settings.console_actions_path())
    try:
        (record,) = log.records()
    finally:
        log.close()
    assert (record.kind, record.sender, record.status, record.step) == ("operator_redrive", "operator:fed", "redriven",
                                                                        "密钥登记已补录，重新投递")
    assert record.destination == "jjj.referral.tj.bj"
    assert stream_sequence(item.item_id) > stored  # published again, under a fresh message id


async def _stored_referral(bus, envelope_id: str) -> int:
    for message in await bus.stored("JJJ_REFERRALS"):
        if message.headers and message.headers.get("Nats-Msg-Id") == envelope_id:
            return message.seq
    return 0


async def test_roles_a_tianjin_operator_cannot_open_a_beijing_hebei_case_and_an_auditor_cannot_redrive(federation, tmp_path):
    console = await start(federation, "beijing", "hebei")
    await federation.stub("beijing").SubmitDocument(relay_support.submit_request(SANHE, "console-roles"))
    federal = ApiClient(console.url)
    assert await federal.log_in("fed") == 200
    await eventually(lambda: _case_known(federal))

    tianjin_api = ApiClient(console.url)
    assert await tianjin_api.log_in("tj") == 200
    status, answer = await tianjin_api.call(f"/api/cases/{SANHE_ID}")
    assert (status, answer["error"]) == (403, "forbidden")
    status, overview = await tianjin_api.call("/api/overview")
    assert status == 200
    assert all("tianjin" in (pair["sender"], pair["destination"]) for pair in overview["pairs"])
    status, exchanges = await tianjin_api.call(f"/api/exchanges?case_id={SANHE_ID}")
    assert (status, exchanges["exchanges"]) == (200, [])
    assert (await tianjin_api.call("/api/deadlines"))[1]["deadlines"] == []
    assert (await tianjin_api.call("/api/charts"))[1]["pairs"] == []

    # The federation operator sees the same case in every view.
    status, exchanges = await federal.call("/api/exchanges?native_id=BJ2026112400002001&flow=referral")
    assert [(row["case_id"], row["sender"], row["destination"]) for row in exchanges["exchanges"]] == [(SANHE_ID, "beijing", "hebei")]
    assert (await federal.call("/api/exchanges?native_id=BJ2026112400002001&flow=status"))[1]["exchanges"] == []
    every = (await federal.call("/api/deadlines?hours=10000"))[1]
    assert SANHE_ID in {row["case_id"] for row in every["deadlines"]}
    assert (every["total"], every["limit"]) == (len(every["deadlines"]), 200)
    soonest = (await federal.call("/api/deadlines?hours=10000&limit=1"))[1]
    assert (soonest["deadlines"], soonest["total"], soonest["limit"]) == (every["deadlines"][:1], every["total"], 1)
    for nonsense in ("soon", "-1", "0", "nan", "inf", "1e300"):  # a clear refusal, not a server error
        status, answer = await federal.call(f"/api/deadlines?hours={nonsense}")
        assert (status, answer["error"]) == (400, "bad_request") and nonsense in answer["message"]
    for nonsense in ("0", "-3", "2.5", "lots", "2001", "1e3"):
        status, answer = await federal.call(f"/api/deadlines?limit={nonsense}")
        assert (status, answer["error"]) == (400, "bad_request") and nonsense in answer["message"]
    (chart,) = (await federal.call("/api/charts?span=hour"))[1]["pairs"]
    assert (chart["sender"], chart["destination"], sum(chart["counts"])) == ("beijing", "hebei", 1)

    auditor_api = ApiClient(console.url)
    assert await auditor_api.log_in("audit") == 200
    status, answer = await auditor_api.call("/api/deadletters/redrive", method="POST", body={"sequences": [1], "reason": "try"})
    assert (status, answer["error"]) == (403, "read_only")

    async with browser(tmp_path / "profile") as context:
        page = await context.new_page()
        await log_in(page, console.url, "tj")
        await expect(page.get_by_test_id("overview")).to_be_visible(timeout=LIVE)
        await page.evaluate(f"location.hash = '#/case/{SANHE_ID}'")
        await expect(page.get_by_test_id("case-refused")).to_have_attribute("data-status", "403", timeout=LIVE)
        await expect(page.get_by_test_id("case-view")).to_have_count(0)

        auditor = await context.new_page()
        await context.clear_cookies()
        await log_in(auditor, console.url, "audit")
        await expect(auditor.get_by_test_id("overview")).to_be_visible(timeout=LIVE)
        answer = await auditor.evaluate("""async () => {
            const session = await (await fetch('/api/session')).json();
            const response = await fetch('/api/deadletters/redrive', {method: 'POST', headers: {'content-type': 'application/json',
                'x-csrf-token': session.csrf}, body: JSON.stringify({sequences: [1], reason: 'audit tries'})});
            return [response.status, (await response.json()).error];
        }""")
        assert answer == [403, "read_only"]


async def _case_known(client: ApiClient) -> bool:
    status, _ = await client.call(f"/api/cases/{SANHE_ID}")
    return status == 200


async def test_five_wrong_passwords_lock_the_login(federation, tmp_path):
    console = await start(federation)
    async with browser(tmp_path / "profile") as context:
        page = await context.new_page()
        await page.goto(console.url)
        await expect(page.locator("#login-form h2")).to_have_text("登录", timeout=LIVE)  # Chinese by default
        await page.click("#lang")
        await expect(page.locator("#login-form h2")).to_have_text("Log in")
        error = page.get_by_test_id("login-error")
        for attempt in range(1, 6):
            await log_in(page, console.url, "fed", "wrong-password")
            await expect(error).to_have_attribute("data-code", "locked" if attempt == 5 else "bad_credentials", timeout=LIVE)
        await log_in(page, console.url, "fed")  # the right password, while locked
        await expect(error).to_have_attribute("data-code", "locked", timeout=LIVE)
        await expect(page.get_by_test_id("overview")).to_have_count(0)
        await expect(error).to_contain_text("locked")  # still English after reloads
    other = ApiClient(console.url)
    assert await other.log_in("audit") == 200  # the lock is the name's, not everyone's
