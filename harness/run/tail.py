"""Follow the request records while a run is going, for the live progress view."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.measure.follow import AnsweredRequests


@dataclass(frozen=True)
class LiveStats:
    total: int
    failed: int
    rps: float  # over the window
    error_rate: float  # over the window
    p95_s: float | None  # over the window


class RecordTail:
    """Reads new lines of `requests*.jsonl` under a run directory, incrementally."""

    def __init__(self, run_dir: Path, window_s: float = 10.0) -> None:
        self.run_dir = run_dir
        self.window_s = window_s
        self._follower = AnsweredRequests(run_dir)
        self._recent: deque[tuple[float, bool, float]] = deque()  # (ts_end, ok, latency_s)
        self.total = 0
        self.failed = 0

    def poll(self) -> None:
        for record in self._follower.poll():
            ok = bool(record.get("ok"))
            self.total += 1
            self.failed += 0 if ok else 1
            self._recent.append((float(record.get("ts_end") or 0.0), ok,
                                 float(record.get("latency_ms") or 0.0) / 1000.0))

    def stats(self, now: float) -> LiveStats:
        while self._recent and self._recent[0][0] < now - self.window_s:
            self._recent.popleft()
        n = len(self._recent)
        if n == 0:
            return LiveStats(self.total, self.failed, 0.0, 0.0, None)
        failures = sum(1 for _, ok, _ in self._recent if not ok)
        latencies = np.fromiter((lat for _, _, lat in self._recent), dtype=float, count=n)
        return LiveStats(self.total, self.failed, n / self.window_s, failures / n,
                         float(np.percentile(latencies, 95)))
