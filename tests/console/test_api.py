"""The console's API over real HTTP from the gateway process: login required, CSRF on every action,
security headers, reasons required, and the same role rules as the pages."""

from __future__ import annotations

import asyncio

from tests.support.console import ApiClient, add_operators, http


async def _console(federation):
    await federation.start_gateway()
    add_operators(federation.settings)
    return federation.gateway.console


async def test_nothing_without_a_session_and_no_action_without_its_csrf_token(federation):
    console = await _console(federation)
    anonymous = ApiClient(console.url)
    for path in ("/api/overview", "/api/cases/jjj:BJ:X", "/api/deadletters", "/api/actions", "/api/events"):
        status, answer = await anonymous.call(path)
        assert (path, status, answer["error"]) == (path, 401, "login_required")
    operator = ApiClient(console.url)
    assert await operator.log_in("fed") == 200
    status, answer = await operator.call("/api/deadletters/discard", method="POST", body={"sequences": [1], "reason": "x"}, csrf=False)
    assert (status, answer["error"]) == (403, "csrf")
    operator_token, operator.csrf = operator.csrf, "forged"
    status, answer = await operator.call("/api/deadletters/discard", method="POST", body={"sequences": [1], "reason": "x"})
    assert (status, answer["error"]) == (403, "csrf")
    operator.csrf = operator_token
    status, answer = await operator.call("/api/deadletters/discard", method="POST", body={"sequences": [1], "reason": " "})
    assert (status, answer["error"]) == (400, "reason_required")
    status, answer = await operator.call("/api/deadletters/discard", method="POST", body={"sequences": [1], "reason": "gone"})
    assert status == 409 and "no dead letter 1" in answer["results"][0]["error"]
    assert (await operator.call("/api/logout", method="POST"))[0] == 200
    assert (await operator.call("/api/overview"))[0] == 401


async def test_answers_carry_the_security_headers_and_the_cookie_is_http_only(federation):
    console = await _console(federation)
    status, headers, _ = await asyncio.to_thread(http, console.url + "api/login", method="POST",
                                                 body={"name": "fed", "password": "correct-horse-battery"})
    assert status == 200
    cookie = headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "script-src 'self'" in headers["content-security-policy"] and "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    status, _, answer = await asyncio.to_thread(http, console.url + "api/login", method="POST",
                                                body={"name": "fed", "password": "correct-horse-battery"},
                                                headers={"origin": "http://evil.example"})
    assert (status, answer["error"]) == (403, "cross_origin")


async def test_the_overview_reports_each_process_and_the_bus(federation):
    await federation.start("hebei")
    console = await _console(federation)
    console.ctx.bus.endpoints.adapter_ports = {"hebei": federation.running["hebei"].port, "tianjin": 1}
    await console.ctx.refresh()
    client = ApiClient(console.url)
    await client.log_in("fed")
    status, overview = await client.call("/api/overview")
    assert status == 200
    health = {item["name"]: item for item in overview["health"]}
    assert health["nats"]["state"] == "green" and "JetStream" in health["nats"]["reason"]  # from /healthz and /jsz
    assert health["gateway"]["state"] == "green" and health["hebei"]["state"] == "green"
    assert health["tianjin"]["state"] == "red" and "not answering" in health["tianjin"]["reason"]
    assert len(overview["pairs"]) == 6
    assert {inbox["member"] for inbox in overview["inboxes"]} == {"beijing", "tianjin", "hebei"}
