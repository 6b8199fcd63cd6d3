"""Personal data in the console: masked for every role; a jurisdiction's case officer (jurisdiction_pii,
roles.yaml) may open a refused envelope of its own jurisdiction unmasked, with a reason, and each reading
(or attempt) is written to the hash-chained action log. Real federation, real HTTP."""

from __future__ import annotations

import json
import shutil

import pytest
from playwright.async_api import expect

from gateway.console.actions import ActionLog
from gateway.console.roles import Principal
from gateway.console.users import UserStore
from kernel import audit, jurisdictions
from tests.conftest import SHARED
from tests.support import relay as relay_support
from tests.support.bus import Bus
from tests.support.console import PASSWORD, ApiClient, add_operators, browser, force_dead_letter, log_in
from tests.support.relay import eventually

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"  # Beijing -> Hebei: 王芳
PERSONAL = ("王芳", "13912345678", "131082199001010020")
LIVE = 20_000


def test_only_the_case_officer_role_may_see_personal_data_and_only_in_its_scope():
    officer = Principal("he", "jurisdiction_pii", "hebei")
    assert officer.sees_personal_data and not officer.sees_all and officer.may_act
    assert officer.sees_tokens("he", "bj") and not officer.sees_tokens("tj", "bj")
    for role, jurisdiction in (("federation", ""), ("jurisdiction", "hebei"), ("auditor", "")):
        assert not Principal("x", role, jurisdiction).sees_personal_data


async def _stored_referral(settings, envelope_id: str) -> int:
    bus = await Bus.connect(settings.nats_url)
    try:
        for message in await bus.stored("JJJ_REFERRALS"):
            if message.headers and message.headers.get("Nats-Msg-Id") == envelope_id:
                return message.seq
    finally:
        await bus.close()
    return 0


async def _hebei_dead_letter(federation):
    """A Beijing referral refused by Hebei (in the dead letters), and case officers of Hebei and Tianjin."""
    await federation.start("beijing")
    await federation.start_gateway()
    console = federation.gateway.console
    add_operators(federation.settings)
    store = UserStore(federation.settings.console_users_path())
    try:
        store.add("he_officer", "jurisdiction_pii", PASSWORD, "hebei")
        store.add("tj_officer", "jurisdiction_pii", PASSWORD, "tianjin")
    finally:
        store.close()
    response = await federation.stub("beijing").SubmitDocument(relay_support.submit_request(SANHE, "pii-1"))
    envelope_id = response.submissions[0].envelope_id
    stored = await eventually(lambda: _stored_referral(federation.settings, envelope_id))
    await force_dead_letter(federation.settings, "JJJ_REFERRALS", stored, jurisdictions.by_name("hebei"), "bj")
    return console, envelope_id


async def test_a_case_officer_reads_its_own_dead_letter_unmasked_and_the_reading_is_logged(federation):
    console, envelope_id = await _hebei_dead_letter(federation)

    hebei = ApiClient(console.url)
    assert await hebei.log_in("he_officer") == 200

    async def listed():
        return (await hebei.call("/api/deadletters"))[1]["dead_letters"]

    (letter,) = await eventually(listed, timeout=20)
    listing = json.dumps(letter["envelope"], ensure_ascii=False)
    assert "BJ2026112400002001" in listing and not any(value in listing for value in PERSONAL)  # the list stays masked
    sequence = letter["sequence"]
    path = f"/api/deadletters/{sequence}/unmasked"

    assert (await hebei.call(path, method="POST", body={"reason": " "}))[1]["error"] == "reason_required"
    assert (await hebei.call(path, method="POST", body={"reason": "x"}, csrf=False))[1]["error"] == "csrf"
    status, answer = await hebei.call(path, method="POST", body={"reason": "核实来电人身份以便回访"})
    assert status == 200
    unmasked = json.dumps(answer["envelope"], ensure_ascii=False)
    assert all(value in unmasked for value in PERSONAL)
    assert (answer["case_id"], answer["envelope_id"]) == ("jjj:BJ:BJ2026112400002001", envelope_id)

    tianjin = ApiClient(console.url)
    assert await tianjin.log_in("tj_officer") == 200
    assert (await tianjin.call("/api/deadletters"))[1]["dead_letters"] == []
    status, answer = await tianjin.call(path, method="POST", body={"reason": "curious"})
    assert (status, answer["error"]) == (403, "forbidden") and "王芳" not in json.dumps(answer, ensure_ascii=False)
    for name in ("fed", "audit", "tj"):  # every other role: masked only
        other = ApiClient(console.url)
        assert await other.log_in(name) == 200
        status, answer = await other.call(path, method="POST", body={"reason": "look"})
        assert (status, answer["error"]) == (403, "personal_data_not_allowed"), name

    log = ActionLog(federation.settings.console_actions_path())
    try:
        records = log.store.records()
    finally:
        log.close()
    assert isinstance(audit.verify(records), audit.Verified)
    readings = [(r.kind, r.sender, r.status, r.step, r.envelope_id, r.key_id) for r in records]
    assert readings == [
        ("operator_read_personal_data", "operator:he_officer", "shown", "核实来电人身份以便回访", envelope_id, f"dead_letter:{sequence}"),
        ("operator_read_personal_data", "operator:tj_officer", "refused:forbidden", "curious", envelope_id, f"dead_letter:{sequence}"),
    ]
    # Hebei sees, newest first, who read its letter and who tried to.
    shown = (await hebei.call("/api/actions"))[1]["actions"]
    assert [(row["action"], row["operator"], row["outcome"]) for row in shown] == [
        ("read_personal_data", "tj_officer", "refused:forbidden"), ("read_personal_data", "he_officer", "shown")]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
async def test_the_dead_letters_page_unmasks_an_envelope_for_the_case_officer_with_a_reason(federation, tmp_path, output_dir):
    console, _ = await _hebei_dead_letter(federation)
    async with browser(tmp_path / "profile") as context:
        page = await context.new_page()
        await log_in(page, console.url, "he_officer")
        await expect(page.get_by_test_id("overview")).to_be_visible(timeout=LIVE)
        await page.click('a[href="#/deadletters"]')
        row = page.locator("[data-testid=dead-letters] tr[data-handled=false]")
        await expect(row).to_have_count(1, timeout=LIVE)
        envelope = row.locator("pre")
        await expect(envelope).to_contain_text("BJ2026112400002001")
        await expect(envelope).not_to_contain_text("王芳")
        await row.locator("button[data-unmask]").click()  # no reason yet: nothing shown
        await expect(envelope).not_to_have_attribute("data-unmasked", "true")
        await page.fill("#action-reason", "核实来电人身份以便回访")
        await row.locator("button[data-unmask]").click()
        await expect(envelope).to_have_attribute("data-unmasked", "true", timeout=LIVE)
        await expect(envelope).to_contain_text("王芳")
        await page.screenshot(path=str(output_dir / "dead-letter-unmasked.png"), full_page=True)
        await page.click('a[href="#/actions"]')
        await expect(page.get_by_test_id("actions")).to_contain_text("read_personal_data", timeout=LIVE)
