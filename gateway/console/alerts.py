"""Alerts from what the console sees, against the configured thresholds (pure), and the federation
notice each new alert sends (SHARE_TOPIC_NOTICE on jjj.share.<member>.fed, signed by the federation)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

import structlog

from kernel import jurisdictions
from kernel.bus import jetstream, subjects
from kernel.config import ConsoleAlertSettings
from kernel.security.signing import Signer
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Alert:
    key: str  # what it is about: the same key is one alert while it lasts
    level: str  # yellow, red
    zh: str
    en: str
    members: tuple[str, ...] = ()  # whom it concerns (all members when empty)

    def as_dict(self) -> dict:
        return {"key": self.key, "level": self.level, "zh": self.zh, "en": self.en, "members": list(self.members)}


def evaluate(*, inboxes: list[dict], cases_due: int, dead_letters: list[dict], certificates: list[dict],
             thresholds: ConsoleAlertSettings, warning_days: float) -> list[Alert]:
    alerts = []
    for inbox in inboxes:
        member = inbox["member"]
        if inbox["consumers"] and not inbox["connected"] and inbox["pending"]:
            alerts.append(Alert(f"inbox-disconnected:{member}", "red", f"{member} 收件箱未连接，{inbox['pending']} 条待取",
                                f"{member} inbox disconnected with {inbox['pending']} pending", (member,)))
        if inbox["pending"] >= thresholds.inbox_pending or inbox["oldest_pending_seconds"] >= thresholds.oldest_pending_seconds:
            alerts.append(Alert(f"inbox-lagging:{member}", "yellow",
                                f"{member} 收件箱积压 {inbox['pending']} 条，最久 {inbox['oldest_pending_seconds']} 秒",
                                f"{member} inbox lagging: {inbox['pending']} pending, oldest {inbox['oldest_pending_seconds']} s",
                                (member,)))
    # cases_due: open cases due within thresholds.deadline_wave_hours or overdue (ConsoleData.deadline_wave)
    if cases_due >= thresholds.deadline_wave_cases:
        alerts.append(Alert("deadline-wave", "yellow", f"时限预警潮：{cases_due} 件临期或超期",
                            f"deadline wave: {cases_due} cases due soon or overdue"))
    open_letters = [letter for letter in dead_letters if not letter["handled"]]
    if len(open_letters) >= thresholds.dead_letters:
        receivers = tuple(sorted({letter["receiver"] for letter in open_letters if letter["receiver"]}))
        alerts.append(Alert("dead-letters", "red", f"死信 {len(open_letters)} 条待处理", f"{len(open_letters)} dead letters to handle",
                            receivers))
    days = thresholds.certificate_days if thresholds.certificate_days is not None else warning_days
    for certificate in certificates:
        if certificate["days_left"] <= days:
            alerts.append(Alert(f"certificate:{certificate['principal']}", "yellow",
                                f"证书 {certificate['principal']} 将于 {certificate['days_left']} 天后到期",
                                f"certificate {certificate['principal']} expires in {certificate['days_left']} days"))
    return alerts


class AlertNotifier:
    """Sends a federation notice when an alert appears, and again at most every `every` seconds while it lasts.

    With `db` (the console's SQLite file) when each alert was last sent is kept there, so a gateway
    restart does not send every standing alert again."""

    def __init__(self, js, signer: Signer, every: float, clock=time.time, db: sqlite3.Connection | None = None) -> None:
        self.js, self.signer, self.every, self.clock, self.db = js, signer, every, clock, db
        self._sent: dict[str, float] = {}
        if db is not None:
            db.execute("CREATE TABLE IF NOT EXISTS alert_notices (key TEXT PRIMARY KEY, sent_at REAL NOT NULL)")
            self._sent = dict(db.execute("SELECT key, sent_at FROM alert_notices"))

    async def notify(self, alerts: list[Alert]) -> list[str]:
        sent = []
        now = self.clock()
        for alert in alerts:
            if now - self._sent.get(alert.key, -1e18) < self.every:
                continue
            try:
                await self._publish(alert)
            except Exception as error:  # a notice that cannot go now goes at the next refresh
                log.warning("console_alert_not_sent", alert=alert.key, error=str(error))
                continue
            self._sent[alert.key] = now
            if self.db is not None:
                self.db.execute("INSERT INTO alert_notices VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET sent_at=excluded.sent_at",
                                (alert.key, now))
            sent.append(alert.key)
        return sent

    async def _publish(self, alert: Alert) -> None:
        members = [jurisdictions.by_name(name) for name in alert.members] or list(jurisdictions.members())
        share = envelope_pb2.InformationShare(topic=envelope_pb2.SHARE_TOPIC_NOTICE,
                                              classification=envelope_pb2.CLASSIFICATION_INTERNAL,
                                              title=f"运行告警 / alert: {alert.en}", audience=[m.enum for m in members])
        stamp = int(time.time())
        for member in members:
            envelope = envelope_pb2.Envelope(envelope_id=f"alert/{alert.key}/{stamp}/{member.token}",
                                             flow=envelope_pb2.FLOW_INFORMATION_SHARE, sender=case_pb2.JURISDICTION_UNSPECIFIED,
                                             destination=member.enum, information_share=share)
            envelope.sent_at.GetCurrentTime()
            await jetstream.publish_envelope(self.js, subjects.federation_subject(envelope.flow, member), envelope,
                                             signer=self.signer)
        log.info("console_alert_notice", alert=alert.key, level=alert.level)
