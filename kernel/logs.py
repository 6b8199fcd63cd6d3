"""structlog set-up: contextvars first, JSON to stdout off a TTY, readable on one.

Log lines carry case ids, flows and jurisdictions, never a citizen's name, ID
number or phone: `redact_personal_data` drops those keys wherever they appear.

Every record reaches its stream as one write of the whole line, newline included
(`write_line`): a log shipper reading several processes' output never sees a record
cut in two or two records on one line. `jjj up` keeps that true across processes by
relaying each child's lines itself (cli/supervisor.py) rather than sharing its stdout.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any, TextIO

import structlog

PERSONAL_KEYS = frozenset({"name", "id_number", "phone", "requester", "content", "xm", "zjhm", "lxdh"})

# One lock for the whole process: threads (the supervisor's relays, gRPC's executor) take turns per line.
_WRITE_LOCK = threading.Lock()


def redact_personal_data(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in PERSONAL_KEYS & event_dict.keys():
        event_dict[key] = "[redacted]"
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


def configure(log_format: str = "auto", level: str = "info") -> None:
    json_output = resolved_format(log_format) == "json"
    renderer: Any = structlog.processors.JSONRenderer(ensure_ascii=False) if json_output else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_personal_data,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=_line_logger,
        cache_logger_on_first_use=False,  # so that reconfiguring (tests, CLI) reaches module-level loggers
    )
