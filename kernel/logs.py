"""structlog set-up: contextvars first, JSON to stdout off a TTY, readable on one.

Log lines carry case ids, flows and jurisdictions, never a citizen's name, ID
number or phone: `redact_personal_data` drops those keys wherever they appear.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

PERSONAL_KEYS = frozenset({"name", "id_number", "phone", "requester", "content", "xm", "zjhm", "lxdh"})


def redact_personal_data(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in PERSONAL_KEYS & event_dict.keys():
        event_dict[key] = "[redacted]"
    return event_dict


def _not_the_tls_eof_notice(record: logging.LogRecord) -> bool:
    # asyncio says this on every close of a TLS connection nats-py made: noise, not a problem.
    return "eof_received() has no effect when using ssl" not in record.getMessage()


def configure(log_format: str = "auto", level: str = "info") -> None:
    asyncio_logger = logging.getLogger("asyncio")
    if _not_the_tls_eof_notice not in asyncio_logger.filters:
        asyncio_logger.addFilter(_not_the_tls_eof_notice)
    json_output = log_format == "json" or (log_format == "auto" and not sys.stdout.isatty())
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
        logger_factory=structlog.PrintLoggerFactory(),  # sys.stdout as it is when a line is written
        cache_logger_on_first_use=False,  # so that reconfiguring (tests, CLI) reaches module-level loggers
    )
