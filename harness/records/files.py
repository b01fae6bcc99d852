"""The one writer of each record file: records as JSON lines (orjson), appended whole.

A line is orjson's compact UTF-8 JSON of the record's fields in declaration order, ending in
a newline; timestamps of request records with six decimals (`stamp`); NaN and infinities,
which JSON lacks, as null. Appends are one write(2) each on a file opened O_APPEND, so a run
killed at any moment leaves whole lines (readers skip a torn last one anyway).
`alerts.jsonl` is the exception: it is small and rewritten atomically per source
(`write_alerts`), so collecting Prometheus' episodes twice never duplicates one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from harness.atomic import write_atomic
from harness.records.schema import (
    PROMETHEUS,
    AlertEpisode,
    StackEvent,
    omitted_when_null,
)

ALERTS_FILE: Final = "alerts.jsonl"
STACK_EVENTS_FILE: Final = "stack_events.jsonl"
FAULTS_FILE: Final = "faults.jsonl"

_NEWLINE = orjson.OPT_APPEND_NEWLINE
_Fragment = orjson.Fragment
_OMITTED: dict[type, tuple[str, ...]] = {}


def stamp(ts: Any) -> Any:
    """An epoch time as records write it: a float as seconds with six decimals (the nearest
    microsecond; a double holds no finer digits at today's epoch); NaN, infinities and
    anything else as orjson writes them."""
    if type(ts) is float and ts - ts == 0.0:  # finite
        return _Fragment(b"%.6f" % ts)
    return ts


def as_row(record: Any) -> dict[str, Any]:
    """A record (dataclass from `harness.records.schema`) as the dict its line holds."""
    row = asdict(record)
    for name in _omitted(type(record)):
        if row[name] is None:
            del row[name]
    return row


def _omitted(kind: type) -> tuple[str, ...]:
    found = _OMITTED.get(kind)
    if found is None:
        found = _OMITTED[kind] = omitted_when_null(kind)
    return found


def line(record: Any) -> bytes:
    """One record's JSON line. A record without omittable fields (the request record, the
    hot path) goes to orjson as it is; mappings are written with their own keys."""
    if is_dataclass(record) and _omitted(type(record)):
        record = as_row(record)
    return orjson.dumps(record, option=_NEWLINE)


class RecordFile:
    """Appends records (or ready lines) to one JSONL file, each call one write(2)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        self._fd: int | None = os.open(self.path, flags, 0o644)
        self._lock = threading.Lock()
        self.count = 0
        """Lines written so far."""

    def append(self, record: Any) -> None:
        """A record dataclass or a JSON-able mapping."""
        self.write_line(line(record))

    def write_line(self, lines: bytes) -> None:
        """One or more complete lines (each ending in a newline), straight to the kernel."""
        with self._lock:
            if self._fd is None:
                raise ValueError(f"record file {self.path} is closed")
            written = os.write(self._fd, lines)
            while written < len(lines):  # a regular file writes all at once unless it fills
                written += os.write(self._fd, lines[written:])
            self.count += lines.count(b"\n")

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> RecordFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class StackEventLog:
    """The writer of `stack_events.jsonl`: a stack's `on_event` listener.

    `log = StackEventLog(run_dir); stack.on_event = log`; each event is one line at once.
    Accepts a `StackEvent` or the supervisor's event dict (`StackEvent.from_mapping`)."""

    def __init__(self, run_dir: str | Path) -> None:
        self._file = RecordFile(Path(run_dir) / STACK_EVENTS_FILE)
        self.path = self._file.path

    def __call__(self, event: StackEvent | Mapping[str, Any]) -> None:
        if not isinstance(event, StackEvent):
            event = StackEvent.from_mapping(dict(event))
        self._file.append(event)

    def close(self) -> None:
        self._file.close()


_alerts_lock = threading.Lock()


def write_alerts(run_dir: str | Path, source: str, episodes: Iterable[AlertEpisode]) -> Path:
    """Make `episodes` the rows of `source` in `run_dir/alerts.jsonl`, keeping every other
    source's rows (Prometheus' collector and the deploy watcher each own theirs); returns
    the path. The file is replaced atomically: a reader sees the old rows or the new."""
    path = Path(run_dir) / ALERTS_FILE
    new = list(episodes)
    wrong = [e for e in new if e.source != source]
    if wrong:
        raise ValueError(f"alert episodes of {wrong[0].source!r} handed in as {source!r}")
    with _alerts_lock:
        kept = [row for row in _rows(path)
                if ((row.get("labels") or {}).get("source") or PROMETHEUS) != source]
        text = b"".join([line(row) for row in kept] + [line(e) for e in new])
        write_atomic(path, text)
    return path


def _rows(path: Path) -> list[dict[str, Any]]:
    """The JSON-object lines of `path` (none when it is missing); other lines are skipped."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    rows = []
    for text in data.splitlines():
        try:
            row = orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows
