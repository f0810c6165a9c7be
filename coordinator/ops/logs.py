"""Structured logs: one JSON object per line with the request id, and secrets redacted on the way out."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from coordinator.ops.context import current_request_id

# Values that must never reach a log line: API tokens (ouen_…), bearer credentials, cookie headers, and
# secrets in query strings (the live channel accepts ?token=). Redaction is the last line of defence; code
# should not log them in the first place (docs/operations.md "Security review").
_SECRET_PATTERNS = (
    (re.compile(r"ouen_[A-Za-z0-9_-]{8,}"), "ouen_[redacted]"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"), r"\1[redacted]"),
    (re.compile(r"(?i)((?:token|password|secret|session|ouen_session)=)[^&\s\"']+"), r"\1[redacted]"),
    (re.compile(r"(?i)(cookie:\s*)[^\r\n]+"), r"\1[redacted]"),
)
# LogRecord attributes that are not caller-supplied `extra` fields.
_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact(text: str) -> str:
    """The text with token, bearer, cookie and password-like values replaced by [redacted]."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and string arguments) with secrets redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keeps the record, after redacting it."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


class DropFilter(logging.Filter):
    """Drops every record (used on uvicorn's access logger when ours is on: one access line, not two)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Never keeps the record."""
        return False


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line: time, level, logger, message, request_id and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The JSON line for this record."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry:
                entry[key] = value if isinstance(value, int | float | bool | type(None)) else redact(str(value))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Plain lines for a terminal: time level logger [request id] message, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        """The text line for this record."""
        request_id = getattr(record, "request_id", None) or current_request_id()
        where = f" [{request_id}]" if request_id else ""
        line = f"{self.formatTime(record)} {record.levelname} {record.name}{where} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        """Emit to the current sys.stderr."""
        self.stream = sys.stderr
        super().emit(record)


_OUR_HANDLER_NAME = "ouen-ops"
_SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "sqlalchemy.engine", "fastapi")


def configure_logging(*, level: str, log_format: str, replace_server_access_log: bool) -> None:
    """Send the "ouen.*" loggers to stderr in the chosen format, and redact the server's own loggers.

    Idempotent: several apps in one process (tests) share one handler.
    """
    logger = logging.getLogger("ouen")
    logger.setLevel(level.upper())
    ours = [h for h in logger.handlers if h.get_name() == _OUR_HANDLER_NAME]
    handler = ours[0] if ours else StderrHandler()
    handler.set_name(_OUR_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    if not ours:
        logger.addHandler(handler)
    logger.propagate = False
    for name in _SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in server_logger.filters):
            server_logger.addFilter(RedactingFilter())
    access = logging.getLogger("uvicorn.access")
    drops = [f for f in access.filters if isinstance(f, DropFilter)]
    if replace_server_access_log and not drops:
        access.addFilter(DropFilter())
    elif not replace_server_access_log:
        for dropped in drops:
            access.removeFilter(dropped)
