"""The ledger: one row per API call (successful or not), the ground truth for cost and retries."""

from __future__ import annotations

import json
import threading
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import IO, Any

from harness.records import LLM_CALL_COLUMNS

# Field order of a row: the declared record (harness.records.LedgerRow, docs/contracts.md).
ROW_FIELDS = tuple(LLM_CALL_COLUMNS)
# The fields a RowTemplate fixes: all but the first five (ts, the ids, tenant) and latency_ms.
_LATENCY = ROW_FIELDS.index("latency_ms")
_HEAD = ROW_FIELDS[5:_LATENCY]
_TAIL = ROW_FIELDS[_LATENCY + 1 :]


def _json_str(value: str | None) -> str:
    """`json.dumps(value)` for a str or None, without json.dumps' per-call overhead."""
    return "null" if value is None else encode_basestring_ascii(value)


class RowTemplate:
    """The rows of calls that differ only in ts, request_id, correlation_id, trace_id, tenant
    and latency_ms (a memoised reply): the fixed fields are kept as dicts and as encoded JSON, so
    a row and its JSON line cost a few concatenations instead of a json.dumps."""

    __slots__ = ("head", "head_json", "tail", "tail_json")

    def __init__(self, row: dict[str, Any]) -> None:
        self.head = {name: row[name] for name in _HEAD}
        self.tail = {name: row[name] for name in _TAIL}
        self.head_json = json.dumps(self.head)[1:-1]  # `"model": ..., "cost_usd": ...`
        self.tail_json = json.dumps(self.tail)[1:-1]

    def row(
        self,
        ts: float,
        request_id: str,
        correlation_id: str | None,
        trace_id: str | None,
        tenant: str | None,
        latency_ms: float,
    ) -> dict[str, Any]:
        return {
            "ts": ts,
            "request_id": request_id,
            "correlation_id": correlation_id,
            "trace_id": trace_id,
            "tenant": tenant,
            **self.head,
            "latency_ms": latency_ms,
            **self.tail,
        }

    def line(self, row: dict[str, Any]) -> str:
        """Exactly `json.dumps(row) + "\\n"` for a `row` this template made (floats are finite:
        clock readings)."""
        return (
            f'{{"ts": {row["ts"]!r}, "request_id": {_json_str(row["request_id"])}, '
            f'"correlation_id": {_json_str(row["correlation_id"])}, '
            f'"trace_id": {_json_str(row["trace_id"])}, '
            f'"tenant": {_json_str(row["tenant"])}, {self.head_json}, '
            f'"latency_ms": {row["latency_ms"]!r}, {self.tail_json}}}\n'
        )


class Ledger:
    """In-memory rows, optionally appended to a JSON-lines file, one write(2) per row, so that
    a killed run still leaves every completed row. Safe to use from several threads."""

    def __init__(self, path: str | Path | None = None) -> None:
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Unbuffered: each row goes to the kernel at once, in a single write.
            self._file = open(path, "ab", buffering=0)  # noqa: SIM115 - closed in close()

    def append(self, row: dict[str, Any]) -> None:
        line = (json.dumps(row) + "\n").encode() if self._file else None
        self._store(row, line)

    def append_templated(
        self,
        template: RowTemplate,
        ts: float,
        request_id: str,
        correlation_id: str | None,
        trace_id: str | None,
        tenant: str | None,
        latency_ms: float,
    ) -> None:
        """`append(template.row(...))`, with the JSON line built from the template."""
        row = template.row(ts, request_id, correlation_id, trace_id, tenant, latency_ms)
        self._store(row, template.line(row).encode() if self._file else None)

    def _store(self, row: dict[str, Any], line: bytes | None) -> None:
        with self._lock:
            self._rows.append(row)
            if self._file and line:
                written = self._file.write(line)
                while written < len(line):  # a raw write may be short, in theory
                    written += self._file.write(line[written:])

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


def trace_id(traceparent: str | None) -> str | None:
    """The trace id of a W3C `traceparent` header (`00-<32 hex>-<16 hex>-<2 hex>`), or None
    when the header is absent or malformed (an all-zero trace id is invalid)."""
    if traceparent is None or len(traceparent) < 55:
        return None
    parts = traceparent.strip().split("-")
    if len(parts) < 4 or len(parts[0]) != 2 or parts[0] == "ff":
        return None
    value = parts[1].lower()
    if len(value) != 32 or value == _ZERO_TRACE or not _is_hex(value) or len(parts[2]) != 16:
        return None
    return value


_ZERO_TRACE = "0" * 32
_HEX = frozenset("0123456789abcdef")


def _is_hex(value: str) -> bool:
    return _HEX.issuperset(value)
