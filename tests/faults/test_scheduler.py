"""FaultScheduler with a fake context: order, loose timing, faults.jsonl, revert on stop."""

import json
import threading
import time
from typing import Any

import pytest
from fault_helpers import spec

from harness.errors import StackError
from harness.faults import FaultContext, FaultScheduler


class Recorder:
    """A ProcessControl that records calls with their time and fails where told to."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.calls: list[tuple[str, str, float]] = []
        self.fail = fail or set()
        self.t0 = time.monotonic()
        self.lock = threading.Lock()

    def _call(self, what: str, name: str) -> None:
        with self.lock:
            self.calls.append((what, name, time.monotonic() - self.t0))
        if what in self.fail:
            raise StackError(name, f"{what} failed on purpose")

    def kill(self, name: str) -> None:
        self._call("kill", name)

    def freeze(self, name: str) -> None:
        self._call("freeze", name)

    def thaw(self, name: str) -> None:
        self._call("thaw", name)

    def restart(self, name: str, overrides: dict[str, Any] | None = None) -> None:
        self._call("restart", name)

    def wait_healthy(self, name: str, timeout_s: float) -> None:
        self._call("wait_healthy", name)

    def names(self) -> list[tuple[str, str]]:
        return [(what, name) for what, name, _ in self.calls]


def read_events(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def wait_for(condition, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_applies_and_reverts_on_time_and_logs_each_event(tmp_path):
    recorder = Recorder()
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=recorder)
    faults = [spec(target="tools", kind="freeze", at="300ms", **{"for": "300ms"}),
              spec(target="llm", kind="freeze", at="100ms", **{"for": "100ms"})]
    log = tmp_path / "faults.jsonl"
    scheduler = FaultScheduler(faults, ctx, log)
    scheduler.start()
    try:
        wait_for(lambda: len(scheduler.events) == 4)
    finally:
        scheduler.stop()
    assert recorder.names() == [("freeze", "llm"), ("thaw", "llm"),
                                ("freeze", "tools"), ("thaw", "tools")]
    times = [t for *_, t in recorder.calls]
    # Loose: never early (small slack for clocks), and in order.
    for got, planned in zip(times, [0.1, 0.2, 0.3, 0.6], strict=True):
        assert got >= planned - 0.05
    events = read_events(log)
    assert [(e["event"], e["index"]) for e in events] == [
        ("applied", 1), ("reverted", 1), ("applied", 0), ("reverted", 0)]
    first = events[0]
    assert set(first) == {"ts", "event", "index", "kind", "target", "params", "at_s", "for_s",
                          "error"}
    assert (first["kind"], first["target"], first["at_s"], first["for_s"], first["error"]) == (
        "freeze", "llm", 0.1, 0.1, None)
    assert events == scheduler.events


def test_stop_reverts_active_faults_in_reverse_order(tmp_path):
    recorder = Recorder()
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=recorder)
    faults = [spec(target="llm", kind="freeze"),  # no `for`: until the end
              spec(target="tools", kind="freeze", at="10ms"),
              spec(target="agent", kind="freeze", at="1h")]  # never reached
    scheduler = FaultScheduler(faults, ctx, tmp_path / "faults.jsonl")
    with scheduler:
        wait_for(lambda: len(scheduler.active()) == 2)
    assert recorder.names() == [("freeze", "llm"), ("freeze", "tools"),
                                ("thaw", "tools"), ("thaw", "llm")]
    assert scheduler.active() == []
    scheduler.stop()  # idempotent
    assert len(read_events(tmp_path / "faults.jsonl")) == 4


def test_failing_apply_and_revert_are_recorded_and_the_run_goes_on(tmp_path):
    recorder = Recorder(fail={"kill", "thaw"})
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=recorder)
    faults = [spec(target="agent", kind="crash"),
              spec(target="llm", kind="freeze", **{"for": "50ms"}),
              spec(target="tools", kind="freeze", at="100ms")]
    log = tmp_path / "faults.jsonl"
    scheduler = FaultScheduler(faults, ctx, log)
    scheduler.start()
    wait_for(lambda: len(scheduler.events) == 4)
    scheduler.stop()  # must not raise although thaw fails again
    events = [(e["event"], e["index"]) for e in read_events(log)]
    assert events == [("apply_failed", 0), ("applied", 1), ("revert_failed", 1), ("applied", 2),
                      ("revert_failed", 2)]
    failed = read_events(log)[0]
    assert "kill failed on purpose" in failed["error"]
    assert ("wait_healthy", "agent") not in recorder.names()  # never applied: never reverted


def test_crash_without_for_is_reverted_right_after_its_apply(tmp_path):
    recorder = Recorder()
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=recorder)
    scheduler = FaultScheduler([spec(target="agent", kind="crash", at="10ms")], ctx, None)
    with scheduler:
        wait_for(lambda: len(scheduler.events) == 2)
    assert recorder.names()[:2] == [("kill", "agent"), ("wait_healthy", "agent")]
    assert [e["event"] for e in scheduler.events] == ["applied", "reverted"]


def test_a_failing_listener_does_not_stop_faults(tmp_path):
    recorder = Recorder()
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=recorder)

    def explode(event):
        raise RuntimeError("listener bug")

    scheduler = FaultScheduler([spec(target="llm", kind="freeze", **{"for": "10ms"})], ctx,
                               None, on_event=explode)
    with scheduler:
        wait_for(lambda: len(scheduler.events) == 2)
    assert recorder.names() == [("freeze", "llm"), ("thaw", "llm")]


def test_scaled_scenario_drives_the_schedule():
    from pathlib import Path

    from harness.scenario import load_scenario

    scenario = load_scenario(Path(__file__).parents[1] / "scenario/fixtures/good-hiccup.yaml")
    scheduler = FaultScheduler(scenario.scaled(0.01).faults, FaultContext("http://127.0.0.1:9"),
                               None)
    assert [f.id for f in scheduler.faults] == ["f0_http_error", "f1_latency", "f2_crash"]
    assert scheduler.faults[1].spec.at == pytest.approx(0.4)
