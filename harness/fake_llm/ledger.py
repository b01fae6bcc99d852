"""The ledger: one row per API call (successful or not), the ground truth for cost and retries."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import IO, Any

# Field order of a row, as docs/contracts.md lists it.
ROW_FIELDS = (
    "ts",
    "request_id",
    "correlation_id",
    "tenant",
    "model",
    "region",
    "stream",
    "status",
    "error_type",
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "cost_usd",
    "latency_ms",
    "stop_reason",
    "tool_calls",
    "upstream",
)


class Ledger:
    """In-memory rows, optionally appended to a JSON-lines file and flushed per row so that a
    killed run still leaves its evidence. Safe to use from several threads."""

    def __init__(self, path: str | Path | None = None) -> None:
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def append(self, row: dict[str, Any]) -> None:
        line = json.dumps(row) + "\n" if self._file else None
        with self._lock:
            self._rows.append(row)
            if self._file and line:
                self._file.write(line)
                self._file.flush()

    def rows(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._rows)

    def clear(self) -> None:
        """Forget the in-memory rows (the file keeps its history)."""
        with self._lock:
            self._rows.clear()

    def close(self) -> None:
        with self._lock:
            if self._file:
                self._file.close()
                self._file = None
