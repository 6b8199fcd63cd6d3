"""Certificate expiry: reported before it happens.

A process checks the certificates it uses (its own and the CA) at start and every
`expiry_check_seconds`: one warning log line per certificate that expires within
the window (`certificate_expires_soon`, with days left), an error line once one has
expired (`certificate_expired`). The gRPC health service `jjj.tls.certificate` is
SERVING while every certificate is valid beyond the window and NOT_SERVING as soon
as one expires within it (or has expired, or is not valid yet): a monitor probing
that name hears about the renewal before it is too late; the process's own service
and "" stay SERVING, so no load balancer drops it for a certificate still valid.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog

from kernel.security.pki import common_name, load_certificate
from kernel.waiting import pause

log = structlog.get_logger(__name__)
HEALTH_SERVICE = "jjj.tls.certificate"


@dataclass(frozen=True, slots=True)
class CertificateValidity:
    path: Path
    subject: str
    not_before: datetime
    not_after: datetime

    def days_left(self, now: datetime) -> float:
        return (self.not_after - now).total_seconds() / 86400

    def valid_at(self, now: datetime) -> bool:
        return self.not_before <= now <= self.not_after


def validity_of(path: Path) -> CertificateValidity:
    certificate = load_certificate(path)
    return CertificateValidity(path, common_name(certificate), certificate.not_valid_before_utc,
                               certificate.not_valid_after_utc)


@dataclass(frozen=True, slots=True)
class ExpiryReport:
    expired: list[CertificateValidity]
    expiring: list[CertificateValidity]

    @property
    def healthy(self) -> bool:
        return not self.expired and not self.expiring


def assess(validities: Sequence[CertificateValidity], now: datetime, window: timedelta) -> ExpiryReport:
    """Pure: which certificates are no longer (or not yet) valid, which expire within the window."""
    expired = [v for v in validities if not v.valid_at(now)]
    expiring = [v for v in validities if v.valid_at(now) and v.not_after - now <= window]
    return ExpiryReport(expired, expiring)


def log_report(report: ExpiryReport, now: datetime) -> None:
    for validity in report.expired:
        log.error("certificate_expired", certificate=str(validity.path), subject=validity.subject,
                  not_after=validity.not_after.isoformat(), not_before=validity.not_before.isoformat())
    for validity in report.expiring:
        log.warning("certificate_expires_soon", certificate=str(validity.path), subject=validity.subject,
                    not_after=validity.not_after.isoformat(), days_left=round(validity.days_left(now), 1))


async def check(paths: Sequence[Path], *, window_days: float, on_report: Callable[[ExpiryReport], Awaitable[None]],
                now: datetime | None = None) -> ExpiryReport:
    now = now or datetime.now(UTC)
    report = assess([validity_of(path) for path in paths], now, timedelta(days=window_days))
    log_report(report, now)
    await on_report(report)
    return report


async def watch(paths: Sequence[Path], *, window_days: float, interval_seconds: float,
                on_report: Callable[[ExpiryReport], Awaitable[None]]) -> None:
    """Check again every interval (the caller checked at start), until cancelled."""
    while True:
        await pause(interval_seconds)
        await check(paths, window_days=window_days, on_report=on_report)
