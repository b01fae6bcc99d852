"""Whatever ends a run, it leaves no process and no fault behind."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.run.conftest import alive, descendants, start_harness, wait_for

pytestmark = pytest.mark.integration

LONG = """\
name: long-latency
title: "A long run with a network fault, to be interrupted"
duration: 120s
agent: {profile: hardened}
load: {users: 2, spawn_rate: 2, tenants: [acme], mix: {chat: 1}, think_time: 200ms}
faults:
  - {at: 0s, for: 110s, target: llm, kind: latency, latency_ms: 50}
slos:
  availability: ">= 99%"
"""


def _applied(out: Path) -> bool:
    return any(p.read_text().count('"applied"') for p in out.glob("*/faults.jsonl"))


def _start_and_wait_for_fault(write_scenario, tmp_path: Path):
    path = write_scenario("long-latency", LONG)
    out = tmp_path / "reports"
    proc = start_harness("run", str(path), "--out", str(out), "--quiet", cwd=tmp_path)
    try:
        wait_for(lambda: _applied(out), 180, "the fault to be applied")
    except AssertionError:
        proc.kill()
        raise
    children = descendants(proc.pid)
    assert len(children) >= 6  # 2 fake LLMs, tools, toxiproxy, agent, locust
    return proc, out, children


def test_sigint_mid_run_reverts_faults_and_stops_every_process(write_scenario, tmp_path) -> None:
    proc, out, children = _start_and_wait_for_fault(write_scenario, tmp_path)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=90)
    assert proc.returncode == 130
    assert not alive(children), f"left running: {alive(children)}"
    (run_dir,) = list(out.iterdir())
    events = [json.loads(x)["event"] for x in (run_dir / "faults.jsonl").read_text().splitlines()]
    assert events == ["applied", "reverted"]
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
    assert not (run_dir / "slo.json").exists()  # no verdict it did not earn
    assert (run_dir / "requests.jsonl").read_text().strip()  # the evidence so far is kept


def test_sigterm_mid_run_tears_down_like_sigint(write_scenario, tmp_path) -> None:
    proc, _, children = _start_and_wait_for_fault(write_scenario, tmp_path)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=90)
    assert proc.returncode == 130
    assert not alive(children), f"left running: {alive(children)}"


def test_sigkill_of_the_harness_takes_every_child_down(write_scenario, tmp_path) -> None:
    proc, _, children = _start_and_wait_for_fault(write_scenario, tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 20
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(children), f"orphans: {[p.cmdline()[:4] for p in alive(children)]}"
