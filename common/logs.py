"""Log lines for people (text) or for a log shipper (one JSON object a line), each with the id
of the request it belongs to.

The server sets ``REQUEST_ID`` for the length of each request (``server.api.request_id``); any
line logged meanwhile, by our code or a library's, carries it. Every process configures its own
logging through ``configure``: the ``antrean`` command, and each worker of ``serve --workers``,
which reads the level and format from the environment (ANTREAN_LOG_LEVEL, ANTREAN_LOG_FORMAT).
"""

from __future__ import annotations

import json
import logging
import os
from contextvars import ContextVar
from datetime import UTC, datetime

FORMATS = ("text", "json")
REQUEST_ID: ContextVar[str | None] = ContextVar("antrean_request_id", default=None)

_TEXT = "%(asctime)s %(levelname)s %(name)s%(request)s: %(message)s"


class _WithRequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(_TEXT)

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request = f" [{request_id}]" if request_id else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One object a line: time (UTC, ISO 8601), level, logger, message, pid, and the
    request id and exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class _OurHandler(logging.StreamHandler):
    """Standard error, told apart from handlers others installed."""


def configure(level: str | None = None, fmt: str | None = None) -> None:
    """Log to standard error at ``level`` in ``fmt`` (default: ANTREAN_LOG_LEVEL, INFO;
    ANTREAN_LOG_FORMAT, text), replacing the handler an earlier call installed (and leaving
    others alone: a test runner's, say)."""
    level = (level or os.environ.get("ANTREAN_LOG_LEVEL") or "INFO").upper()
    fmt = (fmt or os.environ.get("ANTREAN_LOG_FORMAT") or "text").lower()
    if fmt not in FORMATS:
        raise ValueError(f"the log format is text or json, not {fmt!r}")
    handler = _OurHandler()
    handler.addFilter(_WithRequestId())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO as it is imported: nothing for an operator.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # uvicorn's loggers keep handlers of their own when it configures them; ours take over.
    # (Its access logger is left as uvicorn set it: silenced unless `serve --access-log`.)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).propagate = True
