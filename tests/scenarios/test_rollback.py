"""The deploy watcher with a real FaultScheduler, a recording ProcessControl and request
records written to a run directory as the load generator would."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from harness.faults import FaultContext, FaultScheduler
from harness.faults.rollback import ALERT_NAME, DeployWatcher, _Idle, watch_deploys
from harness.scenario.fault_specs import fault_adapter
from harness.targets import Target
from harness.targets.own import URLTarget
from harness.targets.reference import ReferenceTarget


class Processes:
    """ProcessControl stand-in: records restarts and their overrides."""

    def __init__(self) -> None:
        self.restarts: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def kill(self, name: str) -> None: ...
    def freeze(self, name: str) -> None: ...
    def thaw(self, name: str) -> None: ...

    def restart(self, name: str, overrides: dict[str, Any] | None = None) -> None:
        with self.lock:
            self.restarts.append(dict(overrides or {}))

    def wait_healthy(self, name: str, timeout_s: float) -> None: ...


def deploy(at: float = 0.0) -> Any:
    return fault_adapter.validate_python(
        {"at": at, "target": "agent", "kind": "deploy", "set": {"fail_rate": 0.45}})


def write_records(run_dir: Path, n: int, fail_every: int, start: float) -> None:
    with (run_dir / "requests.jsonl").open("a") as fh:
        for i in range(n):
            ok = fail_every == 0 or i % fail_every != 0
            ts = start + i * 0.001
            fh.write(json.dumps({"ts_start": ts, "ts_end": ts + 0.01, "ok": ok}) + "\n")


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def scheduler(tmp_path: Path):
    procs = Processes()
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=procs)
    sched = FaultScheduler([deploy()], ctx, tmp_path / "faults.jsonl")
    sched.procs = procs  # type: ignore[attr-defined]
    try:
        yield sched
    finally:
        sched.stop()


def wait_applied(sched: FaultScheduler) -> float:
    deadline = time.monotonic() + 10
    while not any(e["event"] == "applied" for e in sched.events):
        assert time.monotonic() < deadline, "deploy never applied"
        time.sleep(0.01)
    return next(e["ts"] for e in sched.events if e["event"] == "applied")


def test_a_burning_deploy_is_rolled_back_and_logged(scheduler, tmp_path):
    scheduler.start()
    applied = wait_applied(scheduler)
    watcher = DeployWatcher(scheduler, tmp_path, window_s=60, min_requests=20)
    write_records(tmp_path, 40, fail_every=2, start=applied + 0.01)  # 50% errors
    assert watcher.check() is True
    assert scheduler.active() == []
    assert scheduler.procs.restarts == [{"fail_rate": 0.45}, {}]  # deploy, then rollback
    rows = events(tmp_path / "faults.jsonl")
    assert [r["event"] for r in rows] == ["applied", "detected", "reverted", "rolled_back"]
    assert rows[1]["detail"]["burn_rate"] == pytest.approx(50.0)
    assert rows[1]["ts"] <= rows[2]["ts"] <= rows[3]["ts"]
    (alert,) = events(tmp_path / "alerts.jsonl")
    assert alert["alert"] == ALERT_NAME and alert["ts"] == rows[1]["ts"]
    scheduler.stop()  # the timeline's own revert is now a no-op
    assert scheduler.procs.restarts == [{"fail_rate": 0.45}, {}]


def test_a_healthy_deploy_and_a_thin_window_are_left_alone(scheduler, tmp_path):
    scheduler.start()
    applied = wait_applied(scheduler)
    watcher = DeployWatcher(scheduler, tmp_path, window_s=60, min_requests=20)
    write_records(tmp_path, 10, fail_every=1, start=applied + 0.01)  # all fail, but n < 20
    assert watcher.check() is False
    write_records(tmp_path, 200, fail_every=0, start=applied + 0.5)  # 10/210 errors: burn 4.8
    assert watcher.check() is False
    assert len(scheduler.active()) == 1


def test_failures_of_the_restart_itself_do_not_count(scheduler, tmp_path):
    scheduler.start()
    applied = wait_applied(scheduler)
    watcher = DeployWatcher(scheduler, tmp_path, window_s=60, min_requests=20)
    write_records(tmp_path, 50, fail_every=1, start=applied - 1.0)  # before the new version
    write_records(tmp_path, 30, fail_every=0, start=applied + 0.01)
    assert watcher.check() is False


def test_the_watcher_thread_rolls_back_on_its_own(scheduler, tmp_path):
    scheduler.start()
    applied = wait_applied(scheduler)
    with DeployWatcher(scheduler, tmp_path, window_s=60, min_requests=20, poll_s=0.02):
        write_records(tmp_path, 40, fail_every=2, start=applied + 0.01)
        deadline = time.monotonic() + 10
        while scheduler.active():
            assert time.monotonic() < deadline, "no rollback"
            time.sleep(0.02)


def test_only_the_hardened_reference_agent_with_a_deploy_is_watched(tmp_path):
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=Processes())
    with_deploy = FaultScheduler([deploy(5.0)], ctx, tmp_path / "f.jsonl")
    without = FaultScheduler([], ctx, tmp_path / "g.jsonl")
    def watched(scheduler: FaultScheduler, target: Target) -> object:
        return watch_deploys(scheduler, tmp_path, target.auto_rollback())

    hardened, naive = ReferenceTarget("hardened"), ReferenceTarget("naive")
    own = URLTarget("http://127.0.0.1:9", known_tenants={})
    assert isinstance(watched(with_deploy, hardened), DeployWatcher)
    assert isinstance(watched(with_deploy, naive), _Idle)
    assert isinstance(watched(with_deploy, hardened.with_overrides({"auto_rollback": False})),
                      _Idle)
    assert isinstance(watched(with_deploy, naive.with_overrides({"auto_rollback": True})),
                      DeployWatcher)
    assert isinstance(watched(with_deploy, own), _Idle)
    assert isinstance(watched(without, hardened), _Idle)
