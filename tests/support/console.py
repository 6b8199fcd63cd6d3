"""Driving the console in tests: Debian's chromium through Playwright (no browser download), its API over
HTTP, operators, and a message forced into dead letters the way a receiver's guard puts it there."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from gateway.console.users import UserStore
from kernel.bus import jetstream, subjects
from kernel.config import Settings
from tests.support.secure import connect_as
from jjj.bus.v1 import envelope_pb2

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "correct-horse-battery"


async def start_with_console(federation, *names: str):
    """The named adapters and the gateway (serving the console, which watches those adapters), and the operators."""
    await federation.start(*names)
    await federation.start_gateway()
    console = federation.gateway.console
    assert console is not None, "the gateway did not start its console"
    console.ctx.bus.endpoints.adapter_ports = {name: federation.running[name].port for name in names}
    add_operators(federation.settings)
    return console


def add_operators(settings: Settings) -> None:
    """fed (federation), tj (Tianjin's operator), audit (auditor), all with PASSWORD."""
    store = UserStore(settings.console_users_path())
    try:
        store.add("fed", "federation", PASSWORD)
        store.add("tj", "jurisdiction", PASSWORD, "tianjin")
        store.add("audit", "auditor", PASSWORD)
    finally:
        store.close()


@asynccontextmanager
async def browser(profile_dir: Path):
    """A fresh chromium profile per test; headless, no network beyond loopback."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile_dir), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            await context.close()


async def log_in(page, url: str, name: str, password: str = PASSWORD) -> None:
    await page.goto(url)
    await page.fill("#login-name", name)
    await page.fill("#login-password", password)
    await page.click("#login-submit")


def http(url: str, *, method: str = "GET", body: dict | None = None, headers: dict | None = None) -> tuple[int, dict, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"{}")


class ApiClient:
    """The console's API as a script would use it: log in, keep the cookie and the CSRF token."""

    def __init__(self, base: str) -> None:
        self.base, self.cookie, self.csrf = base.rstrip("/"), "", ""

    async def call(self, path: str, *, method: str = "GET", body: dict | None = None, csrf: bool = True) -> tuple[int, dict]:
        headers = {"cookie": self.cookie} if self.cookie else {}
        if csrf and self.csrf:
            headers["x-csrf-token"] = self.csrf
        status, answer_headers, answer = await asyncio.to_thread(http, self.base + path, method=method, body=body, headers=headers)
        if "Set-Cookie" in answer_headers or "set-cookie" in answer_headers:
            self.cookie = (answer_headers.get("set-cookie") or answer_headers["Set-Cookie"]).split(";")[0]
        return status, answer

    async def log_in(self, name: str, password: str = PASSWORD) -> int:
        status, answer = await self.call("/api/login", method="POST", body={"name": name, "password": password})
        self.csrf = answer.get("csrf", "")
        return status


async def force_dead_letter(settings: Settings, stream: str, sequence: int, receiver, sender_token: str,
                            reason: int = envelope_pb2.DEAD_LETTER_REASON_KEY_NOT_VALID) -> None:
    """Take a stored message off its stream into JJJ_DEAD_LETTERS, as a receiver's guard would have refused it."""
    nc = await connect_as(settings.nats_url, settings.pki())
    try:
        js = nc.jetstream()
        raw = await js.get_msg(stream, seq=sequence)
        envelope = envelope_pb2.Envelope.FromString(raw.data)
        letter = envelope_pb2.DeadLetter(envelope=raw.data, subject=raw.subject, reason=reason, detail="forced by the test",
                                         receiver=receiver.enum, delivery_count=1, stream=stream, stream_sequence=sequence,
                                         envelope_id=envelope.envelope_id)
        letter.rejected_at.FromDatetime(datetime.now(UTC))
        await jetstream.publish_bytes(js, subjects.dead_letter_subject(receiver, sender_token), letter.SerializeToString(),
                                      msg_id=f"dead/{receiver.token}/{stream}/{sequence}", content_type="application/x-protobuf")
        await js.delete_msg(stream, sequence)
    finally:
        await nc.close()
