"""The live progress view of a run (rich), and its plain-text twin for CI logs."""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.table import Table

from harness.run.tail import LiveStats
from harness.scenario import Scenario


def _fmt_p95(stats: LiveStats) -> str:
    return "-" if stats.p95_s is None else f"{stats.p95_s * 1000:.0f} ms"


class Progress:
    """Elapsed, requests/s, error rate, p95 and the active faults, refreshed in place on a
    terminal; on a pipe (CI) one line every 10 seconds instead."""

    def __init__(self, scenario: Scenario, enabled: bool = True) -> None:
        self.scenario = scenario
        self.enabled = enabled
        self.console = Console(stderr=True)
        self._live: Live | None = None
        self._last_line = 0.0

    def __enter__(self) -> Progress:
        if self.enabled and self.console.is_terminal:
            self._live = Live(console=self.console, refresh_per_second=4, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)

    def update(self, elapsed_s: float, stats: LiveStats, active: list[str]) -> None:
        if not self.enabled:
            return
        if self._live is not None:
            self._live.update(self._table(elapsed_s, stats, active))
            return
        now = time.monotonic()
        if now - self._last_line >= 10.0:
            self._last_line = now
            faults = "; ".join(active) or "none"
            print(f"[{self.scenario.name}] {elapsed_s:5.0f}s/{self.scenario.duration:.0f}s "
                  f"requests={stats.total} rps={stats.rps:.1f} "
                  f"errors={stats.error_rate * 100:.1f}% p95={_fmt_p95(stats)} faults={faults}",
                  file=sys.stderr, flush=True)

    def _table(self, elapsed_s: float, stats: LiveStats, active: list[str]) -> Table:
        table = Table(title=f"{self.scenario.name}: {self.scenario.title}", show_header=True)
        for column in ("elapsed", "requests", "req/s", "errors", "p95", "active faults"):
            table.add_column(column)
        table.add_row(
            f"{elapsed_s:.0f}s / {self.scenario.duration:.0f}s", str(stats.total),
            f"{stats.rps:.1f}", f"{stats.error_rate * 100:.1f}%", _fmt_p95(stats),
            "\n".join(active) or "none",
        )
        return table
