"""The deploy watcher's evidence writers are guarded: a write that fails never keeps a bad
release live."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from fault_helpers import spec

from harness.faults import FaultContext, FaultScheduler
from harness.faults.rollback import DeployWatcher


class Processes:
    """ProcessControl stand-in that records the overrides of each restart."""

    def __init__(self) -> None:
        self.restarts: list[dict[str, Any]] = []

    def kill(self, name: str) -> None: ...
    def freeze(self, name: str) -> None: ...
    def thaw(self, name: str) -> None: ...
    def wait_healthy(self, name: str, timeout_s: float) -> None: ...

    def restart(self, name: str, overrides: dict[str, Any] | None = None) -> None:
        self.restarts.append(dict(overrides or {}))


def test_a_failing_evidence_write_does_not_stop_the_rollback(tmp_path: Path) -> None:
    procs = Processes()
    scheduler = FaultScheduler(
        [spec(target="agent", kind="deploy", set={"fail_rate": 0.45})],
        FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=procs), None)
    (tmp_path / "faults.jsonl").mkdir()  # the watcher's rows cannot be written
    (tmp_path / "alerts.jsonl").mkdir()
    with scheduler:
        deadline = time.monotonic() + 10
        while not any(e["event"] == "applied" for e in scheduler.events):
            assert time.monotonic() < deadline, "deploy never applied"
            time.sleep(0.01)
        applied = scheduler.events[0]["ts"]
        with (tmp_path / "requests.jsonl").open("w") as fh:
            for i in range(40):  # half of them failed: a fast burn
                ts = applied + 0.01 + i * 0.001
                fh.write(json.dumps({"ts_start": ts, "ts_end": ts + 0.01, "ok": i % 2 == 1})
                         + "\n")
        watcher = DeployWatcher(scheduler, tmp_path, window_s=60, min_requests=20)
        assert watcher.check() is True
        assert scheduler.active() == []
        assert procs.restarts == [{"fail_rate": 0.45}, {}]
        # The alert (its fault rows go through the scheduler, whose own writes are guarded).
        assert watcher.write_failures == 1
    assert [e["event"] for e in scheduler.events] == ["applied", "detected", "reverted",
                                                      "rolled_back"]
