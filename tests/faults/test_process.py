"""Process faults through a small ProcessControl stand-in over real `sleep` processes."""

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_helpers import spec

from harness.errors import StackError
from harness.faults import FaultContext, build_fault

pytestmark = pytest.mark.integration


class SleepProcesses:
    """A ProcessControl over `sleep` children; records restarts and their overrides."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen] = {}
        self.restarts: list[tuple[str, dict[str, Any] | None]] = []

    def start(self, name: str) -> None:
        self.procs[name] = subprocess.Popen(["sleep", "60"])

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(10)

    def freeze(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGSTOP)

    def thaw(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGCONT)

    def restart(self, name: str, overrides: dict[str, Any] | None = None) -> None:
        old = self.procs[name]
        if old.poll() is None:
            old.kill()
            old.wait(10)
        self.restarts.append((name, overrides))
        self.start(name)

    def wait_healthy(self, name: str, timeout_s: float) -> None:
        if self.procs[name].poll() is not None:
            raise StackError(name, "not running")

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
                proc.wait(10)


@pytest.fixture
def processes() -> Iterator[SleepProcesses]:
    control = SleepProcesses()
    try:
        control.start("agent")
        yield control
    finally:
        control.stop_all()


def state(pid: int) -> str:
    """The one-letter state in /proc/PID/stat: S sleeping, T stopped."""
    deadline = time.monotonic() + 5
    while True:
        letter = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if letter in "ST" or time.monotonic() > deadline:
            return letter
        time.sleep(0.01)


def wait_state(pid: int, wanted: str) -> str:
    deadline = time.monotonic() + 5
    while (current := state(pid)) != wanted and time.monotonic() < deadline:
        time.sleep(0.02)
    return current


def test_freeze_stops_the_process_and_revert_continues_it(processes):
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=processes)
    pid = processes.procs["agent"].pid
    fault = build_fault(0, spec(target="agent", kind="freeze", at="1s", **{"for": "2s"}))
    assert wait_state(pid, "S") == "S"
    fault.apply(ctx)
    assert wait_state(pid, "T") == "T"
    fault.revert(ctx)
    assert wait_state(pid, "S") == "S"


def test_crash_kills_then_revert_restarts_a_process_nobody_restarted(processes):
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=processes)
    before = processes.procs["agent"]
    fault = build_fault(0, spec(target="agent", kind="crash", health_timeout_s=1))
    fault.apply(ctx)
    assert before.returncode == -signal.SIGKILL
    fault.revert(ctx)
    after = processes.procs["agent"]
    assert after.pid != before.pid and after.poll() is None
    assert processes.restarts == [("agent", None)]


def test_deploy_restarts_with_overrides_and_back_with_the_originals(processes):
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", processes=processes)
    fault = build_fault(0, spec(target="agent", kind="deploy", set={"fail_rate": 0.45}))
    first = processes.procs["agent"].pid
    fault.apply(ctx)
    fault.revert(ctx)
    assert processes.restarts == [("agent", {"fail_rate": 0.45}), ("agent", {})]
    assert processes.procs["agent"].pid != first
