"""The console: Starlette on uvicorn, inside the gateway's event loop (or alone: `jjj console`).

A refresh loop asks the federation every `console.refresh_seconds` (health, inboxes,
dead letters, alerts) and keeps one snapshot; pages get it live by server-sent events
(/api/events), filtered for the viewer, together with the projection's version, so a
page whose data changed fetches it again without being reloaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog
import uvicorn
from nats.aio.client import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kernel.bus import jetstream
from kernel.bus.deadletters import DeadLetters, Letter
from kernel.config import Settings
from kernel.domain.watcher import DeadlineWatcher
from kernel.errors import JjjError
from kernel.security import pki
from kernel.security.keys import FEDERATION, load_signer
from kernel.security.tls import TlsFiles, client_context
from kernel.waiting import pause, wait_until_set
from gateway.console import api, scrape, traces
from gateway.console.actions import ActionLog, OperatorAction
from gateway.console.alerts import Alert, AlertNotifier, evaluate
from gateway.console.auth import Authenticator, SecurityHeaders, guarded
from gateway.console.busview import BusView, Endpoints, certificates
from gateway.console.data import ConsoleData
from gateway.console.roles import Principal
from gateway.console.sessions import LoginThrottle, Sessions
from gateway.console.users import UserStore

log = structlog.get_logger(__name__)
STATIC = Path(__file__).parent / "static"
KEEPALIVE_SECONDS = 15.0


@dataclass
class Snapshot:
    at: str = ""
    health: list[dict] = field(default_factory=list)
    inboxes: list[dict] = field(default_factory=list)
    letters: list[Letter] = field(default_factory=list)
    certificates: list[dict] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    version: int = 0
    serial: int = 0


@dataclass
class ConsoleContext:
    settings: Settings
    auth: Authenticator
    data: ConsoleData
    bus: BusView
    actions: ActionLog
    notifier: AlertNotifier | None
    layout: pki.PkiLayout
    snapshot: Snapshot = field(default_factory=Snapshot)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    # The deadline-wave count and when it was taken (ConsoleAlertSettings.deadline_wave_recount_seconds).
    cases_due: tuple[int, datetime] | None = None

    async def refresh_letters(self) -> None:
        self.snapshot.letters = await self.bus.letters()

    async def refresh(self) -> None:
        now = datetime.now(UTC)
        health, inboxes, letters, scraped = await asyncio.gather(
            self.bus.health(), self.bus.inboxes(now), self.bus.letters(),
            scrape.scrape_all(self.settings.host, self.settings.observability.metrics_ports))
        scrape.merge(health, inboxes, scraped)  # the processes' own metrics beside the console's sampling
        snapshot = Snapshot(now.isoformat(), health, inboxes, letters, certificates(self.layout, now))
        letter_rows = [{"handled": letter.handled, "receiver": _member_name(letter.receiver_token)} for letter in letters]
        snapshot.alerts = evaluate(inboxes=inboxes, cases_due=self._cases_due(now), dead_letters=letter_rows,
                                   certificates=snapshot.certificates, thresholds=self.settings.console.alerts,
                                   warning_days=self.settings.tls.expiry_warning_days)
        snapshot.version = self.data.version()
        snapshot.serial = self.snapshot.serial + 1
        self.snapshot = snapshot
        self.changed.set()
        self.changed = asyncio.Event()
        if self.notifier is not None and snapshot.alerts:
            await self.notifier.notify(snapshot.alerts)

    def _cases_due(self, now: datetime) -> int:
        alerts = self.settings.console.alerts
        if self.cases_due is None or (now - self.cases_due[1]).total_seconds() >= alerts.deadline_wave_recount_seconds:
            self.cases_due = (self.data.deadline_wave(now, alerts.deadline_wave_hours), now)
        return self.cases_due[0]

    def overview_for(self, viewer: Principal) -> dict:
        snap = self.snapshot
        dead = {}
        for letter in snap.letters:
            if not letter.handled:
                key = (letter.receiver_token, letter.sender_token)
                dead[key] = dead.get(key, 0) + 1
        inboxes = [inbox for inbox in snap.inboxes if viewer.sees_all or inbox["member"] == viewer.jurisdiction]
        alerts = [alert.as_dict() for alert in snap.alerts
                  if viewer.sees_all or not alert.members or viewer.jurisdiction in alert.members]
        return {"at": snap.at, "version": snap.version, "pairs": self.data.pair_figures(viewer, datetime.now(UTC), dead),
                "health": snap.health, "inboxes": inboxes, "alerts": alerts,
                "dead_letters_open": sum(1 for letter in api.visible_letters(self, viewer) if not letter.handled),
                "certificates": snap.certificates if viewer.sees_all else []}

    async def act_on_letter(self, viewer: Principal, action: str, sequence: int, reason: str) -> dict:
        """Redrive or discard one letter the viewer may see; every outcome goes to the action log."""
        try:
            letter = await self.bus.dead_letters.get(sequence)
        except JjjError as failure:
            return {"sequence": sequence, "ok": False, "error": str(failure)}
        view = api.letter_view(letter, viewer, with_envelope=False)
        if not viewer.sees_tokens(letter.receiver_token, letter.sender_token):
            return {"sequence": sequence, "ok": False, "error": "not a dead letter of your jurisdiction"}
        try:
            if action == "redrive":
                done = await self.bus.dead_letters.redrive(sequence, by=viewer.name, reason=reason)
            else:
                done = await self.bus.dead_letters.discard(sequence, by=viewer.name, reason=reason)
            outcome, result = done.action, {"sequence": sequence, "ok": True, "action": done.action,
                                            "replay_count": done.replay_count}
        except JjjError as failure:
            outcome, result = api.refusal(failure), {"sequence": sequence, "ok": False, "error": str(failure)}
        self.actions.record(OperatorAction(action, viewer.name, reason, outcome, sequence, view["envelope_id"], view["case_id"],
                                           letter.letter.subject, letter.letter.envelope))
        log.info("console_dead_letter_action", operator=viewer.name, action=action, sequence=sequence, outcome=outcome)
        return result

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:  # keep refreshing: the next round may find the federation back
                log.exception("console_refresh_failed")
            await pause(self.settings.console.refresh_seconds)


def _member_name(token: str) -> str:
    from kernel import jurisdictions

    try:
        return jurisdictions.by_token(token).name
    except JjjError:
        return ""


async def events(request: Request, viewer: Principal):
    ctx: ConsoleContext = request.app.state.console

    async def stream():
        yield "retry: 2000\n\n"
        while True:
            payload = json.dumps(ctx.overview_for(viewer), ensure_ascii=False)
            yield f"event: overview\ndata: {payload}\n\n"
            if not await wait_until_set(ctx.changed, KEEPALIVE_SECONDS):
                yield ": keepalive\n\n"
            if await request.is_disconnected() or ctx.auth.session_of(request) is None:
                return  # gone, logged out, expired or disabled: the page's next request asks for a login

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"cache-control": "no-store"})


async def index(request: Request):
    return FileResponse(STATIC / "index.html")


def build_app(ctx: ConsoleContext) -> Starlette:
    def auth_of(request: Request) -> Authenticator:
        return request.app.state.console.auth

    def read(handler):
        return guarded(auth_of)(handler)

    def act(handler):
        return guarded(auth_of, act=True)(handler)

    def own_session(handler):  # allowed while the password must still change
        return guarded(auth_of, before_password_change=True)(lambda request, viewer: handler(request))

    routes = [
        Route("/", index),
        Route("/api/login", ctx.auth.login, methods=["POST"]),
        Route("/api/logout", own_session(ctx.auth.logout), methods=["POST"]),
        Route("/api/password", own_session(ctx.auth.change_password), methods=["POST"]),
        Route("/api/session", ctx.auth.whoami),
        Route("/api/overview", read(api.overview)),
        Route("/api/charts", read(api.charts)),
        Route("/api/exchanges", read(api.exchanges)),
        Route("/api/cases/{case_id:path}", read(api.case)),
        Route("/api/deadlines", read(api.deadlines)),
        Route("/api/deadletters", read(api.dead_letters)),
        Route("/api/deadletters/redrive", act(api.redrive), methods=["POST"]),
        Route("/api/deadletters/discard", act(api.discard), methods=["POST"]),
        Route("/api/deadletters/{sequence:int}/unmasked", read(api.unmasked_letter), methods=["POST"]),
        Route("/api/actions", read(api.actions)),
        Route("/api/events", read(events)),
        Route("/api/traces/{trace_id}", read(traces.trace)),
        Route("/traces/{trace_id}", traces.trace_page),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.console = ctx
    app.add_middleware(SecurityHeaders)
    return app


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside a process that handles its own signals (the gateway): it must not take them over."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


@dataclass
class RunningConsole:
    ctx: ConsoleContext
    server: uvicorn.Server
    serve_task: asyncio.Task
    refresh_task: asyncio.Task
    nc: Client
    users: UserStore

    @property
    def port(self) -> int:
        return self.server.servers[0].sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{self.ctx.settings.host}:{self.port}/"

    async def stop(self) -> None:
        self.refresh_task.cancel()
        self.server.should_exit = True
        await asyncio.gather(self.refresh_task, return_exceptions=True)
        try:
            await asyncio.wait_for(self.serve_task, 5)
        except (TimeoutError, asyncio.CancelledError):
            self.serve_task.cancel()
        await self.nc.drain()
        self.ctx.data.close()
        self.ctx.actions.close()
        self.users.close()


def operator_files(settings: Settings) -> TlsFiles:
    """The console acts as the operator on the bus (redrive publishes on any member's subject)."""
    layout = settings.pki()
    return TlsFiles(settings.tls.ca_file or layout.ca_cert, layout.cert(pki.OPERATOR), layout.key(pki.OPERATOR))


async def start_console(settings: Settings, *, projection_path: Path, gateway_port: int, port: int | None = None,
                        adapter_ports: dict[str, int] | None = None, nats_monitor_port: int | None = None,
                        watcher: DeadlineWatcher | None = None) -> RunningConsole:
    """Serve the console on loopback (port 0: a free one); it reads the projection and audit files beside it."""
    files = operator_files(settings).check()
    nc = await jetstream.connect(settings.nats_url, name="jjj-console", tls=client_context(files), principal=pki.OPERATOR)
    console = settings.console
    users = UserStore(settings.console_users_path())
    auth = Authenticator(users, Sessions(users, console.session_seconds),
                         LoginThrottle(users.db, "name", console.max_failed_logins, console.lockout_seconds),
                         LoginThrottle(users.db, "address", console.max_failed_logins_per_address, console.lockout_seconds),
                         secure_cookies=console.secure_cookies)
    endpoints = Endpoints(settings.host, gateway_port, adapter_ports or dict(settings.adapter_ports),
                          console.nats_monitor_port if nats_monitor_port is None else nats_monitor_port)
    bus = BusView(nc, endpoints, files, DeadLetters(nc.jetstream(), max_replays=console.max_replays))
    try:
        signer = load_signer(settings.signing_key_path(FEDERATION), FEDERATION)
        notifier = AlertNotifier(nc.jetstream(), signer, console.alerts.notice_every_seconds, db=users.db)
    except JjjError:
        notifier = None  # no federation key here: alerts are shown, not sent
    ctx = ConsoleContext(settings, auth, ConsoleData(projection_path, settings.audit_path(), watcher), bus,
                         ActionLog(settings.console_actions_path()), notifier, settings.pki())
    await ctx.refresh()
    config = uvicorn.Config(build_app(ctx), host=settings.host, port=console.port if port is None else port, log_config=None,
                            access_log=False, lifespan="off", timeout_graceful_shutdown=1, server_header=False)
    server = _EmbeddedServer(config)
    serve_task = asyncio.create_task(server.serve(), name="console-http")
    while not server.started:
        if serve_task.done():
            await serve_task  # raises why it could not start (a port taken)
            raise RuntimeError("the console stopped while starting")
        await asyncio.sleep(0.02)
    refresh_task = asyncio.create_task(ctx.run(), name="console-refresh")
    running = RunningConsole(ctx, server, serve_task, refresh_task, nc, users)
    log.info("console_listening", url=running.url)
    return running
