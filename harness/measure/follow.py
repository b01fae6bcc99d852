"""Follow JSON-lines files while they are being written: each poll returns only new rows.

A line still being written (no newline yet) is held back until it is complete; a line that
does not parse is skipped. `AnsweredRequests` follows a run's request records for the live
progress view and the deploy controller.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.measure.run_data import IN_FLIGHT_ERROR


class JsonlFollower:
    """New complete rows of every file matching `pattern` under `directory`."""

    def __init__(self, directory: Path, pattern: str = "requests*.jsonl") -> None:
        self.directory = Path(directory)
        self.pattern = pattern
        self._offsets: dict[Path, int] = {}
        self._partial: dict[Path, bytes] = {}

    def poll(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for path in sorted(self.directory.glob(self.pattern)):
            with path.open("rb") as fh:
                fh.seek(self._offsets.get(path, 0))
                chunk = self._partial.pop(path, b"") + fh.read()
                self._offsets[path] = fh.tell()
            *lines, rest = chunk.split(b"\n")
            if rest:
                self._partial[path] = rest
            for line in lines:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict):
                    rows.append(row)
        return rows


class AnsweredRequests(JsonlFollower):
    """New request records (`requests*.jsonl`) of a run directory, leaving out the requests
    still in flight when the load stopped: they were never answered (run_data.IN_FLIGHT_ERROR)."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__(run_dir, "requests*.jsonl")

    def poll(self) -> list[dict[str, Any]]:
        return [row for row in super().poll() if row.get("error") != IN_FLIGHT_ERROR]
