"""Every error the project names, under one root.

The classes say what went wrong, not how to answer it: kernel/rpc/status.py holds the
one table from these classes to a gRPC status, an ErrorInfo reason and retry advice.
Some also derive from the built-in exception callers caught before this hierarchy
existed (ValueError, LookupError, RuntimeError), so those `except` clauses still work.

Nothing here imports grpc or nats: codecs and domain code raise these on hot paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class JjjError(Exception):
    """The root. `violations` are (field, description) pairs the caller can fix;
    `metadata` is extra context for the member (identifiers, never personal data)."""

    def __init__(self, message: str, *, violations: Iterable[tuple[str, str]] = (),
                 metadata: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.violations: list[tuple[str, str]] = list(violations)
        self.metadata: dict[str, str] = dict(metadata or {})


# -- the request ----------------------------------------------------------


class InvalidRequest(JjjError):
    """A request that is malformed whatever the state of the federation."""


class UnsupportedDocumentFormat(InvalidRequest, LookupError):
    """A document format this adapter (or any codec) does not read."""


class DocumentRejected(InvalidRequest):
    """No case in a submitted document could be sent; the violations name the fields."""


class MappingError(JjjError, ValueError):
    """A native record cannot be a case. `field` is the native field path."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", violations=[(field, reason)])
        self.field = field
        self.reason = reason


class UnknownJurisdiction(JjjError, ValueError):
    """A name, enum value, subject token or case_id that names no member jurisdiction."""


class LimitExceeded(JjjError):
    """A request larger than the adapter takes (document bytes, cases per document): split it."""


class AdapterBusy(JjjError):
    """The adapter already has as many submissions waiting for a turn as it keeps: the same request may be
    sent again shortly (nothing of it was accepted)."""


class RequestIdReused(JjjError):
    """A request_id already answered for a different request."""


# -- the state ------------------------------------------------------------


class CaseNotFound(JjjError, LookupError):
    """No cross-region case with this case_id here."""


class InboxItemUnknown(JjjError, LookupError):
    """An inbox item id this adapter never delivered to its member, or no longer knows."""


class StepRefused(JjjError):
    """A lifecycle step (or re-routing) the case's current state does not allow."""


class CoHandlersPending(StepRefused):
    """The lead of a co-handled case (协办) replies before every co-handler reported its part replied."""


class TransitionError(StepRefused, ValueError):
    """A status step the lifecycle does not allow (wrong order, wrong side, no reason)."""


class StepConflict(JjjError):
    """The step number was taken by another report meanwhile: read the case again first."""


class UpdateContention(JjjError):
    """A stored record kept changing under a compare-and-set update."""


class DeadlineError(JjjError, ValueError):
    """An unknown step, or an extension the policy does not allow."""


# -- our own data and set-up ----------------------------------------------


class ConfigurationError(JjjError, ValueError):
    """A table, policy or setting that is not usable as given: ours to fix, not the caller's."""


class StartupError(JjjError, RuntimeError):
    """A process we run (nats-server, the gateway, an adapter) would not start or keep running."""


class CalendarYearUnknown(ConfigurationError, LookupError):
    def __init__(self, year: int) -> None:
        super().__init__(
            f"no official working-day calendar for {year}: add schemas/calendar/{year}.yaml "
            "(see schemas/calendar/README.md) or allow provisional weekend-only deadlines",
            metadata={"year": str(year)},
        )
        self.year = year


# -- the bus --------------------------------------------------------------


class BusError(JjjError, RuntimeError):
    """The bus failed in a way we have no better name for."""


class BusUnavailable(BusError):
    """The bus cannot be reached now (no server, reconnecting, timed out, JetStream away): retry later."""


class BusRefused(BusError):
    """The bus is up and said no to this message or request: the same request will fail again."""


class MessageTooLarge(BusRefused):
    """A message above the bus's maximum payload."""


# -- dead letters (operators) ----------------------------------------------


class DeadLetterNotFound(JjjError, LookupError):
    """No dead letter at that sequence of JJJ_DEAD_LETTERS."""


class RedriveRefused(JjjError):
    """A dead letter may not be redriven or discarded: already handled, or replayed too often (a loop)."""
