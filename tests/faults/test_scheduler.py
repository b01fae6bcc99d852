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
    wait_for(lambda: len(scheduler.events) == 5)
    scheduler.stop()  # must not raise although thaw fails again
    rows = read_events(log)
    events = [(e["event"], e["index"]) for e in rows]
    # The failed apply is reverted at once (the crash's revert: the agent must be back).
    assert events == [("apply_failed", 0), ("reverted", 0), ("applied", 1), ("revert_failed", 1),
                      ("applied", 2), ("revert_failed", 2)]
    assert "kill failed on purpose" in rows[0]["error"]
    assert [e.get("partial") for e in rows] == [None, True, None, False, None, False]
    assert recorder.names()[:2] == [("kill", "agent"), ("wait_healthy", "agent")]


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
    assert scheduler.listener_failures == {"on_event": 2}


def test_scaled_scenario_drives_the_schedule():
    from pathlib import Path

    from harness.scenario import load_scenario

    scenario = load_scenario(Path(__file__).parents[1] / "scenario/fixtures/good-hiccup.yaml")
    scheduler = FaultScheduler(scenario.scaled(0.01).faults, FaultContext("http://127.0.0.1:9"),
                               None)
    assert [f.id for f in scheduler.faults] == ["f0_http_error", "f1_latency", "f2_crash"]
    assert scheduler.faults[1].spec.at == pytest.approx(0.4)


class BadRelease(Recorder):
    """The deploy's new release never turns healthy; the original flags do."""

    def __init__(self) -> None:
        super().__init__()
        self.overrides: list[dict[str, Any] | None] = []

    def restart(self, name: str, overrides: dict[str, Any] | None = None) -> None:
        self.overrides.append(overrides)
        super().restart(name, overrides)

    def wait_healthy(self, name: str, timeout_s: float) -> None:
        super().wait_healthy(name, timeout_s)
        if self.overrides and self.overrides[-1]:
            raise StackError(name, f"not healthy within {timeout_s}s")


def test_a_deploy_that_never_turns_healthy_is_rolled_back_at_once(tmp_path):
    procs = BadRelease()
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=procs)
    deploy = spec(target="agent", kind="deploy", set={"fail_rate": 0.5}, health_timeout_s=1)
    scheduler = FaultScheduler([deploy], ctx, tmp_path / "faults.jsonl")
    with scheduler:
        wait_for(lambda: len(scheduler.events) == 2)
        assert scheduler.active() == []  # the bad release is not live for the rest of the run
    assert procs.overrides == [{"fail_rate": 0.5}, {}]
    rows = read_events(tmp_path / "faults.jsonl")
    assert [(e["event"], e.get("partial")) for e in rows] == [("apply_failed", None),
                                                              ("reverted", True)]
    assert "not healthy within 1.0s" in rows[0]["error"]


class HungFreeze(Recorder):
    """freeze() blocks until released: an apply still running when the run stops."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def freeze(self, name: str) -> None:
        super().freeze(name)
        self.entered.set()
        self.release.wait(30)


def test_a_fault_is_active_and_reverted_while_its_apply_still_runs(tmp_path):
    procs = HungFreeze()
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=procs)
    scheduler = FaultScheduler([spec(target="llm", kind="freeze")], ctx, None)
    scheduler.start()
    assert procs.entered.wait(10)
    assert [f.spec.kind for f in scheduler.active()] == ["freeze"]
    scheduler.stop(join_timeout_s=0.05)  # gives up waiting for the apply, reverts anyway
    assert procs.names() == [("freeze", "llm"), ("thaw", "llm")]
    procs.release.set()  # the apply ends after its revert: undone once more
    wait_for(lambda: [e["event"] for e in scheduler.events] == ["reverted", "applied",
                                                                "reverted"])
    assert procs.names()[-1] == ("thaw", "llm")


def test_a_failing_log_writer_is_counted_and_the_timeline_goes_on(tmp_path):
    recorder = Recorder()
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=recorder)
    seen: list[str] = []
    faults = [spec(target="llm", kind="freeze", **{"for": "10ms"}),
              spec(target="tools", kind="freeze", at="20ms", **{"for": "10ms"})]
    # A directory where the log file should be: every write fails.
    (tmp_path / "faults.jsonl").mkdir()
    scheduler = FaultScheduler(faults, ctx, tmp_path / "faults.jsonl",
                               on_event=lambda e: seen.append(e["event"]))
    with scheduler:
        wait_for(lambda: len(scheduler.events) == 4)
    assert recorder.names() == [("freeze", "llm"), ("thaw", "llm"), ("freeze", "tools"),
                                ("thaw", "tools")]
    assert scheduler.listener_failures == {"faults.jsonl": 4}
    assert seen == ["applied", "reverted", "applied", "reverted"]  # later listeners still run
