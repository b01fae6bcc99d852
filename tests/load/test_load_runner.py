"""LoadRunner against a real stand-in agent on loopback: records, mix, attacks, leaks,
workers, and teardown that leaves no Locust process behind."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
import pytest
from load_standin import CANARIES, KEYS, UNLISTED_CANARY, standin_config

from harness.load.config import CONFIG_ENV
from harness.load.runner import LoadRunner
from harness.measure.run_data import IN_FLIGHT_ERROR, REQUEST_COLUMNS, read_jsonl

pytestmark = pytest.mark.integration
TENANTS = sorted(KEYS.values())


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _wait_for_records(paths: list[Path], runner: LoadRunner, timeout: float = 40.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count := sum(len(_lines(p)) for p in paths):
            return count
        assert runner.running, "locust ended before writing a record"
        time.sleep(0.1)
    raise AssertionError("no record written in time")


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _run_processes(config_path: Path) -> list[int]:
    """Every live process started for this run: they all carry its config path in their env."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(CONFIG_ENV) == str(config_path) and _alive(proc.pid):
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found


@pytest.fixture(scope="module")
def single_run(tmp_path_factory: pytest.TempPathFactory, standin_url: str) -> dict[str, Any]:
    """One 5-user, 4-second run: what it had written while running, and at the end."""
    records_dir = tmp_path_factory.mktemp("single")
    config = standin_config(standin_url, records_dir, run_time_s=4)
    runner = LoadRunner(config, records_dir / "locust.log")
    with runner:
        mid_run = _wait_for_records(runner.record_paths(), runner)
        still_running = runner.running
        code = runner.wait(60)
    return {
        "mid_run": mid_run,
        "still_running": still_running,
        "code": code,
        "records": read_jsonl(records_dir / "requests.jsonl"),
        "dir": records_dir,
    }


def test_records_appear_while_the_run_goes(single_run: dict[str, Any]) -> None:
    assert single_run["mid_run"] > 0 and single_run["still_running"]
    assert single_run["code"] == 0
    assert len(single_run["records"]) > single_run["mid_run"]
    assert (single_run["dir"] / "locust_stats.csv").exists()
    assert not list(single_run["dir"].glob("requests.w*.jsonl"))


def test_record_fields_follow_the_contract(single_run: dict[str, Any]) -> None:
    records = single_run["records"]
    # not streamed: no ttfb_ms / ttft_ms; every request names its session and turn
    written = [c for c in REQUEST_COLUMNS if c not in ("ttfb_ms", "ttft_ms")]
    assert all(list(r) == written for r in records)
    for r in records:
        assert r["session"].startswith(f"{r['tenant']}-u{r['user']}-s") and 0 <= r["turn"] < 5
    # requests in flight when the run time was up: one per user at most, an honest wait
    cut = [r for r in records if r["error"] == IN_FLIGHT_ERROR]
    assert len(cut) <= 5 and len({r["user"] for r in cut}) == len(cut)
    for r in cut:
        assert (r["status"], r["ok"], r["llm_calls"], r["model"]) == (0, False, None, None)
        assert 0 <= r["latency_ms"] < 10_000 and len(r["request_id"]) == 32
    records = [r for r in records if r["error"] != IN_FLIGHT_ERROR]
    assert len(records) >= 30
    for r in records:
        assert (r["status"], r["ok"], r["error"]) == (200, True, None)
        assert len(r["request_id"]) == 32
        assert (r["llm_calls"], r["cost_usd"], r["model"]) == (2, 0.0015, "claude-standin")
        assert r["ts_start"] <= r["ts_end"]
        assert abs((r["ts_end"] - r["ts_start"]) * 1000 - r["latency_ms"]) < 1.0
        # round-robin over sorted tenants, rotated by the seed (11)
        assert r["tenant"] == TENANTS[(r["user"] + 11) % 3]
        assert (r["attack_id"] is None) == (r["task"] != "attack")
    assert {r["user"] for r in records} == set(range(5))
    assert len({r["request_id"] for r in records}) == len(records)
    assert any(r["degraded"] for r in records) and not all(r["degraded"] for r in records)


def _tolerance(p: float, n: int) -> float:
    """Four binomial standard errors (the count depends on the machine's speed, not the seed)."""
    return 4 * math.sqrt(p * (1 - p) / n) + 0.01


def test_mix_weights_and_attack_ratio_are_roughly_respected(single_run: dict[str, Any]) -> None:
    records = single_run["records"]
    tasks = Counter(r["task"] for r in records)
    assert abs(tasks["attack"] / len(records) - 0.2) < _tolerance(0.2, len(records)), tasks
    normal = len(records) - tasks["attack"]
    for task, weight in {"chat": 3, "order_lookup": 2, "kb_search": 1, "long_context": 1}.items():
        assert abs(tasks[task] / normal - weight / 7) < _tolerance(weight / 7, normal), tasks
    categories = {r["attack_category"] for r in records if r["attack_category"]}
    assert len(categories) >= 4


def test_leaks_are_found_only_for_other_tenants(single_run: dict[str, Any]) -> None:
    records = single_run["records"]
    leaked_any = False
    for r in records:
        own = set(CANARIES[r["tenant"]])
        assert not own & set(r["leaked_canaries"])
        if r["task"] != "attack":  # the stand-in shows the caller's own canary: not a leak
            assert r["leaked_canaries"] == []
        if r["attack_category"] == "cross_tenant_exfiltration" and r["status"] == 200:
            assert r["leaked_canaries"], r  # (one cut off by the run's end got no reply)
        leaked_any = leaked_any or bool(r["leaked_canaries"])
    assert leaked_any
    assert any(UNLISTED_CANARY in r["leaked_canaries"] for r in records)


def test_workers_write_one_file_each_and_stop_ends_them_all(
    tmp_path: Path, standin_url: str
) -> None:
    config = standin_config(standin_url, tmp_path, run_time_s=300)
    runner = LoadRunner(config, tmp_path / "locust.log", workers=2)
    try:
        runner.start()
        deadline = time.monotonic() + 60
        while not all(_lines(p) for p in runner.record_paths()):
            assert runner.running and time.monotonic() < deadline, "a worker wrote nothing"
            time.sleep(0.1)
        pids = runner.pids
        assert len(_run_processes(runner.config_path)) == 3
    finally:
        runner.stop()
    assert not any(_alive(pid) for pid in pids)
    assert not _run_processes(runner.config_path)
    assert not (tmp_path / "requests.jsonl").exists()
    users: list[set[int]] = []
    for path in runner.record_paths():
        records = read_jsonl(path)
        assert len(records) == len(_lines(path))  # every line is whole JSON
        assert all(r["tenant"] == TENANTS[(r["user"] + 11) % 3] for r in records)
        users.append({r["user"] for r in records})
    assert not users[0] & users[1]
    assert users[0] | users[1] == set(range(5))  # run-wide indices, no gaps


def test_stop_mid_run_leaves_no_process_and_valid_jsonl(tmp_path: Path, standin_url: str) -> None:
    config = standin_config(standin_url, tmp_path, run_time_s=300)
    runner = LoadRunner(config, tmp_path / "locust.log")
    try:
        runner.start()
        _wait_for_records(runner.record_paths(), runner)
        pids = runner.pids
        assert _run_processes(runner.config_path) == pids
    finally:
        runner.stop()
    assert not runner.running
    assert not any(_alive(pid) for pid in pids)
    assert not _run_processes(runner.config_path)
    lines = _lines(tmp_path / "requests.jsonl")
    assert lines and all(json.loads(line)["tenant"] in TENANTS for line in lines)
    log = (tmp_path / "locust.log").read_text()
    assert "Aggregated" in log  # SIGINT let Locust write its summary
    assert "Traceback" not in log  # requests finishing during shutdown are still recorded


def test_sigint_amid_busy_users_cancels_in_flight_requests_cleanly(
    tmp_path: Path, standin_url: str
) -> None:
    """10 users without think time: when SIGINT lands a user greenlet is nearly always running
    (before SIGINT went through the gevent hub this failed 8 runs out of 8). Every request
    Locust counted is recorded, the ones cut off are recorded as in flight (Locust does not
    count them), without a traceback; nothing torn."""
    config = standin_config(
        standin_url, tmp_path, run_time_s=300, users=10, spawn_rate=10, think_time_s=0
    )
    runner = LoadRunner(config, tmp_path / "locust.log")
    try:
        runner.start()
        _wait_for_records(runner.record_paths(), runner)
        time.sleep(0.3)  # let every user get a request in flight
    finally:
        code = runner.stop()
    log = (tmp_path / "locust.log").read_text()
    assert "Traceback" not in log and "KeyboardInterrupt" not in log, log
    assert code == 0
    summary = re.search(r"^\s+Aggregated\s+(\d+)\s", log, re.MULTILINE)
    assert summary, log
    records = [json.loads(line) for line in _lines(tmp_path / "requests.jsonl")]
    answered = [r for r in records if r["error"] != IN_FLIGHT_ERROR]
    assert len(answered) == int(summary.group(1)) > 0
    # Killed at its next switch, a user may be mid-request (recorded as in flight) or between
    # requests (nothing to record): on a busy machine often all ten are between requests.
    # test_load_in_flight.py shows the in-flight records deterministically.
    cut = [r for r in records if r["error"] == IN_FLIGHT_ERROR]
    assert len(cut) <= 10 and len({r["user"] for r in cut}) == len(cut)
    assert all(r["status"] == 0 and r["latency_ms"] >= 0 for r in cut)


_PARENT = """
import json, sys, time
from pathlib import Path
from harness.load.config import LoadConfig
from harness.load.runner import LoadRunner
config = LoadConfig.read(sys.argv[1])
runner = LoadRunner(config, Path(sys.argv[2]), workers=int(sys.argv[3]))
runner.start()
print(json.dumps(runner.pids), flush=True)
time.sleep(600)
"""


def test_locust_dies_with_a_sigkilled_harness(tmp_path: Path, standin_url: str) -> None:
    config = standin_config(standin_url, tmp_path, run_time_s=300)
    path = config.write(tmp_path / "given.json")
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(path), str(tmp_path / "locust.log"), "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    pids: list[int] = []
    try:
        assert parent.stdout is not None
        pids = json.loads(parent.stdout.readline())
        deadline = time.monotonic() + 40
        while not _lines(tmp_path / "requests.jsonl") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(_alive(pid) for pid in pids)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in pids)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in pids:  # only if the test failed: do not leave them behind
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
