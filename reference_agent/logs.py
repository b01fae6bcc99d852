"""JSON logs, one object a line, each carrying the correlation id of the chat it belongs to."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None)
tenant_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("tenant_id", default=None)

_STD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": round(record.created, 6),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "correlation_id": correlation_id.get(),
            "tenant": tenant_id.get(),
        }
        doc.update({k: v for k, v in vars(record).items() if k not in _STD_ATTRS})
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def configure(level: str = "INFO") -> None:
    """Route the root logger to stderr as JSON (stdout carries only the `listening on` line)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The SDK and uvicorn access logs are noisy per request; ours say what matters.
    for noisy in ("httpx2", "httpx", "anthropic", "uvicorn.access", "mcp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def now() -> float:
    return time.time()
