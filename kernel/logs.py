"""structlog set-up: contextvars first, JSON to stdout off a TTY, readable on one.

Log lines carry case ids, flows and jurisdictions, never a citizen's name, ID
number or phone: `redact_personal_data` drops the keys that hold them, and masks
anything shaped like a resident ID or a phone number in every other value (an
error message quoting a rejected field, an exception's text), as the last step
before rendering.

Every record reaches its stream as one write of the whole line, newline included
(`write_line`): a log shipper reading several processes' output never sees a record
cut in two or two records on one line. `jjj up` keeps that true across processes by
relaying each child's lines itself (cli/supervisor.py) rather than sharing its stdout.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from typing import Any, TextIO

import structlog

PERSONAL_KEYS = frozenset({"name", "id_number", "phone", "requester", "content", "xm", "zjhm", "lxdh"})

# One lock for the whole process: threads (the supervisor's relays, gRPC's executor) take turns per line.
_WRITE_LOCK = threading.Lock()


# Shapes of personal numbers inside free text; not preceded or followed by more of an id or number.
_PERSONAL_NUMBERS = (
    # GB 11643 resident ID: area, birth date, sequence, check digit.
    (re.compile(r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"),
     "[id-number]"),
    # Any E.164 number, then mainland mobiles and landlines as people type them (spaces, dashes, 86 prefix).
    (re.compile(r"\+\d{8,15}(?!\d)"), "[phone]"),
    (re.compile(r"(?<![0-9A-Za-z])(?:86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)"), "[phone]"),
    (re.compile(r"(?<![0-9A-Za-z])0\d{2,3}[- ]?\d{7,8}(?!\d)"), "[phone]"),
)


def mask_personal_numbers(text: str) -> str:
    for pattern, replacement in _PERSONAL_NUMBERS:
        text = pattern.sub(replacement, text)
    return text


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_personal_numbers(value)
    if isinstance(value, dict):
        return {key: "[redacted]" if key in PERSONAL_KEYS else _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def redact_personal_data(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key, value in event_dict.items():
        event_dict[key] = "[redacted]" if key in PERSONAL_KEYS else _masked(value)
    return event_dict


def write_line(line: str | bytes, stream: TextIO | None = None) -> None:
    """Writes `line` and its newline to `stream` (default: sys.stdout as it is now) in one write.

    print() writes a message and its newline separately, and a text stream may flush
    a long message in pieces: other writers to the same pipe then land in between.
    Here the bytes go to the file descriptor in a single os.write (looping only on a
    short write, which a blocking pipe or file does not make). Bytes (a line relayed
    from another process) are written as they are.
    """
    stream = stream if stream is not None else sys.stdout
    newline = b"\n" if isinstance(line, bytes) else "\n"
    if not line.endswith(newline):
        line += newline
    with _WRITE_LOCK:
        try:
            descriptor = stream.fileno()
        except (AttributeError, OSError, ValueError):  # a stream in memory (tests): one write call is all there is
            stream.write(line.decode("utf-8", "replace") if isinstance(line, bytes) else line)
            stream.flush()
            return
        stream.flush()  # whatever was printed before goes first
        if isinstance(line, str):
            line = line.encode(getattr(stream, "encoding", None) or "utf-8", "backslashreplace")
        data = memoryview(line)
        while data:
            data = data[os.write(descriptor, data):]


class LineLogger:
    """A structlog logger writing each rendered record with `write_line` to sys.stdout as it is at that moment."""

    def msg(self, message: str) -> None:
        write_line(message)

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


def _line_logger(*_args: Any) -> LineLogger:
    return LineLogger()


def resolved_format(log_format: str = "auto") -> str:
    """"json" or "console": "auto" means JSON unless stdout is a terminal."""
    if log_format == "auto":
        return "console" if sys.stdout.isatty() else "json"
    return log_format


def _not_the_tls_eof_notice(record: logging.LogRecord) -> bool:
    # asyncio says this on every close of a TLS connection nats-py made: noise, not a problem.
    return "eof_received() has no effect when using ssl" not in record.getMessage()


def configure(log_format: str = "auto", level: str = "info") -> None:
    asyncio_logger = logging.getLogger("asyncio")
    if _not_the_tls_eof_notice not in asyncio_logger.filters:
        asyncio_logger.addFilter(_not_the_tls_eof_notice)
    json_output = resolved_format(log_format) == "json"
    # Plain tracebacks on a terminal too: a rich one prints local variables, and those hold citizens' data.
    renderer: Any = (structlog.processors.JSONRenderer(ensure_ascii=False) if json_output
                     else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_personal_data,  # last before rendering: exception texts are masked too
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=_line_logger,
        cache_logger_on_first_use=False,  # so that reconfiguring (tests, CLI) reaches module-level loggers
    )
