"""The deploy controller's automatic rollback: detect a bad release by error-budget burn.

While a `deploy` fault is active, a watcher reads the live request records and computes the
burn rate of the requests that started after the new version went live (the restart itself
causes failures that say nothing about the release): error rate over the last `window_s`
divided by the error budget (1 - target). When it crosses `burn_threshold` with at least
`min_requests` in the window, the watcher logs `detected`, reverts the deploy early (the
original flags: a rollback) and logs `rolled_back`, both in faults.jsonl with timestamps.
The detection is also written to alerts.jsonl as a firing episode, so the `time_to_detect`
SLO reads it the same way as a Prometheus alert.

It runs only when the agent under test asks for it (the reference agent's resolved flag
`auto_rollback`, on in hardened); otherwise nobody is watching, as at 3 AM without paging.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from harness.faults.base import Fault
from harness.faults.scheduler import FaultScheduler
from harness.measure.follow import AnsweredRequests
from harness.scenario.fault_specs import DeployFault

__all__ = ["DeployWatcher", "watch_deploys"]

_log = logging.getLogger(__name__)
ALERT_NAME = "DeployErrorBudgetBurn"


class _Records:
    """(ts_start, ts_end, ok) of every answered request recorded since the last read."""

    def __init__(self, run_dir: Path) -> None:
        self._follower = AnsweredRequests(run_dir)

    def read(self) -> list[tuple[float, float, bool]]:
        out: list[tuple[float, float, bool]] = []
        for r in self._follower.poll():
            try:
                out.append((float(r["ts_start"]), float(r["ts_end"]), bool(r["ok"])))
            except (KeyError, TypeError, ValueError):
                continue
        return out


class DeployWatcher:
    """Background thread: roll back an active `deploy` fault when its burn rate is too high.

    Use as a context manager around the load phase, after `scheduler.start()`.
    """

    def __init__(self, scheduler: FaultScheduler, run_dir: Path, *, target: float = 0.99,
                 window_s: float = 3.0, burn_threshold: float = 14.4, min_requests: int = 20,
                 poll_s: float = 0.25, clock: Callable[[], float] = time.time) -> None:
        if not 0 < target < 1:
            raise ValueError(f"target must be in (0, 1), got {target}")
        self.scheduler = scheduler
        self.run_dir = Path(run_dir)
        self.target = target
        self.window_s = window_s
        self.burn_threshold = burn_threshold
        self.min_requests = min_requests
        self.poll_s = poll_s
        self._clock = clock
        self._records = _Records(self.run_dir)
        self._recent: deque[tuple[float, float, bool]] = deque()
        self._handled: set[int] = set()  # fault indices already rolled back
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.events: list[dict[str, Any]] = []
        self.write_failures = 0

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="deploy-watcher", daemon=True)
        self._thread.start()

    def stop(self, join_timeout_s: float = 120.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(join_timeout_s)

    def __enter__(self) -> DeployWatcher:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- watching ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.check()
            except Exception:  # the watcher must never break the run it watches
                _log.exception("deploy watcher check failed")

    def _live_deploy(self) -> tuple[Fault, float] | None:
        """The active deploy fault not yet handled, and when it went live (its `applied`)."""
        for fault in self.scheduler.active():
            if not isinstance(fault.spec, DeployFault) or fault.index in self._handled:
                continue
            applied = [e["ts"] for e in self.scheduler.events
                       if e["index"] == fault.index and e["event"] == "applied"]
            if applied:
                return fault, float(applied[-1])
        return None

    def burn(self, since: float, now: float) -> tuple[float, float, int]:
        """(burn rate, error rate, requests) over requests ending in [now - window, now] that
        started at or after `since`."""
        while self._recent and self._recent[0][1] < now - self.window_s:
            self._recent.popleft()
        window = [ok for start, _, ok in self._recent if start >= since]
        if not window:
            return 0.0, 0.0, 0
        error_rate = window.count(False) / len(window)
        return error_rate / (1.0 - self.target), error_rate, len(window)

    def check(self) -> bool:
        """One poll: read new records and roll back if the live deploy burns too fast.
        Returns True when it rolled back."""
        self._recent.extend(sorted(self._records.read(), key=lambda r: r[1]))
        live = self._live_deploy()
        now = self._clock()
        if live is None:
            self.burn(now, now)  # keep the window short
            return False
        fault, since = live
        burn, error_rate, n = self.burn(since, now)
        if n < self.min_requests or burn < self.burn_threshold:
            return False
        self._handled.add(fault.index)
        detail = {"burn_rate": round(burn, 3), "error_rate": round(error_rate, 4),
                  "requests": n, "window_s": self.window_s, "target": self.target,
                  "burn_threshold": self.burn_threshold}
        # The evidence is written through _guarded: a failed write must not keep a bad
        # release live. Revert exactly as the timeline would: faults.jsonl gets its
        # `reverted` row, and the scheduler's own later revert of this fault becomes a no-op.
        detected = self._guarded(lambda: self._event("detected", fault, detail))
        fired = detected["ts"] if detected else self._clock()
        reverted = self.scheduler.revert_now(fault)
        rolled = self._guarded(lambda: self._event(
            "rolled_back" if reverted else "rollback_failed", fault, detail))
        resolved = rolled["ts"] if rolled else self._clock()
        self._guarded(lambda: self._alert(fired, resolved, fault, detail))
        return reverted

    def _guarded(self, write: Callable[[], Any]) -> Any:
        """Run one evidence writer; a failure is logged and counted (`write_failures`)."""
        try:
            return write()
        except Exception:
            self.write_failures += 1
            _log.exception("deploy watcher could not write its evidence")
            return None

    # -- evidence ---------------------------------------------------------------------------

    def _event(self, event: str, fault: Fault, detail: dict[str, Any]) -> dict[str, Any]:
        spec = fault.spec
        record = {"ts": self._clock(), "event": event, "index": fault.index, "kind": spec.kind,
                  "target": spec.target, "params": spec.params(), "at_s": spec.at,
                  "for_s": spec.for_, "error": None, "detail": detail,
                  "source": "deploy-watcher"}
        self.events.append(record)
        _append(self.run_dir / "faults.jsonl", record)
        _log.warning("deploy %s", event, extra=detail)
        return record

    def _alert(self, fired: float, resolved: float, fault: Fault,
               detail: dict[str, Any]) -> None:
        _append(self.run_dir / "alerts.jsonl", {
            "alert": ALERT_NAME, "severity": "page",
            "labels": {"alertname": ALERT_NAME, "source": "deploy-watcher",
                       "fault_index": str(fault.index)},
            "ts": fired, "ts_end": resolved, "step_s": self.poll_s, **detail,
        })


def _append(path: Path, record: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")  # one write per line: readers never see half


class _Idle:
    """Stands in for a watcher when nobody watches (no deploy fault, or auto_rollback off)."""

    def __enter__(self) -> _Idle:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def watch_deploys(scheduler: FaultScheduler, run_dir: Path, auto_rollback: bool,
                  **options: Any) -> DeployWatcher | _Idle:
    """The watcher for a run (a context manager): a real one when the scenario has a `deploy`
    fault and the agent under test asks for it (the reference agent's `auto_rollback` flag,
    `Target.auto_rollback()`), else one that does nothing."""
    has_deploy = any(isinstance(f.spec, DeployFault) for f in scheduler.faults)
    if not has_deploy or not auto_rollback:
        return _Idle()
    return DeployWatcher(scheduler, run_dir, **options)
