"""The tool server's call log: in memory for `/_control/calls`, and optionally a JSONL file."""

from __future__ import annotations

import json
import threading
from collections import deque
from pathlib import Path
from typing import Any

__all__ = ["CallLog"]

# Bounded so a long soak cannot grow memory without limit; the JSONL file keeps everything.
MAX_CALLS_IN_MEMORY = 100_000


class CallLog:
    """Call records: ts, tool, tenant (effective), requested_tenant, correlation_id,
    authorized, status ("ok"|"error"), latency_ms, error, fault, result_tenants."""

    def __init__(self, path: str | Path | None = None) -> None:
        self._calls: deque[dict[str, Any]] = deque(maxlen=MAX_CALLS_IN_MEMORY)
        self._lock = threading.Lock()
        # Line-buffered append: every record reaches the file as it happens (a killed run
        # still leaves its evidence).
        self._file = None
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115

    def append(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._calls.append(record)
            if self._file is not None:
                self._file.write(json.dumps(record, separators=(",", ":")) + "\n")

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> int:
        """Forget the in-memory records (the file keeps them); returns how many were dropped."""
        with self._lock:
            count = len(self._calls)
            self._calls.clear()
            return count

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
