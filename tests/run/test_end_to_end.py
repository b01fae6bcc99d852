"""A small scenario on the real local stack: a known fault, SLO verdicts both ways."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.run.conftest import start_harness

pytestmark = pytest.mark.integration

SCENARIO = """\
name: e2e-outage
title: "Every LLM call fails with 500 for four seconds"
chapter: 2
seed: 5
duration: 9s
agent: {profile: naive}
load: {users: 3, spawn_rate: 3, tenants: [acme, globex], mix: {chat: 1}, think_time: 100ms}
faults:
  - {at: 2s, for: 4s, target: llm, kind: http_error, status: 500, probability: 1.0}
slos:
  availability: ">= 99%"        # missed: the outage fails every request in its window
  latency_p50: "<= 60s"         # met
  requests: ">= 5"              # met
"""


def test_run_misses_and_meets_slos_with_evidence_on_disk(write_scenario, tmp_path: Path) -> None:
    path = write_scenario("e2e-outage", SCENARIO)
    out = tmp_path / "reports"
    proc = start_harness("run", str(path), "--out", str(out), "--quiet",
                         "--junit", str(tmp_path / "junit.xml"), cwd=tmp_path)
    output, _ = proc.communicate(timeout=240)
    text = output.decode()
    assert proc.returncode == 1, text  # an SLO was missed

    (run_dir,) = list(out.iterdir())
    slo = json.loads((run_dir / "slo.json").read_text())
    verdicts = {r["name"]: r["verdict"] for r in slo["slos"]}
    assert verdicts == {"availability": "fail", "latency_p50": "pass", "requests": "pass"}
    assert slo["verdict"] == "fail"
    availability = next(r for r in slo["slos"] if r["name"] == "availability")
    assert availability["value"] < 0.99 and availability["n"] >= 5
    assert availability["ci_low"] <= availability["value"] <= availability["ci_high"]

    events = [json.loads(line) for line in (run_dir / "faults.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events] == ["applied", "reverted"]
    assert 3.0 <= events[1]["ts"] - events[0]["ts"] <= 8.0

    records = [json.loads(x) for x in (run_dir / "requests.jsonl").read_text().splitlines()]
    failed = [r for r in records if not r["ok"]]
    assert failed and all(events[0]["ts"] - 1 <= r["ts_end"] for r in failed)
    ledger = (run_dir / "llm_calls.us.jsonl").read_text().splitlines()
    assert any(json.loads(row)["status"] == 500 for row in ledger)

    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] == "finished" and run["verdict"] == "fail"
    assert "--seed 5" in run["rerun"]
    assert (run_dir / "report.html").stat().st_size > 10_000
    for name in ("agent", "llm", "llm_eu", "tools", "toxiproxy", "locust"):
        assert (run_dir / "logs" / f"{name}.log").exists(), name
