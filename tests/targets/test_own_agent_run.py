"""`harness run` of an agent of your own, judged by its own data, end to end:

a command agent (FastAPI + the anthropic SDK + harness.agentkit) with its own tenants and
canaries and an upstream CRM that the harness starts and puts behind a proxy. A latency fault
on the CRM slows the agent's replies; every LLM call is attributed to its user request (the
per-request SLOs are measured, not inconclusive); the agent's deliberate bug (tenant beta's
replies quote alpha's canary) is a leak, and the run fails on it.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.run.conftest import start_harness
from tests.stack.upstream_programs import UPSTREAM

pytestmark = pytest.mark.integration
AGENT = Path(__file__).with_name("correlated_agent.py")

SCENARIO = """\
name: own-agent-judged
title: "Our agent: its CRM slows, its LLM calls attributed, a tenant leak caught"
seed: 3
duration: 10s
agent:
  command: "{py} {agent} --port {{port}} --mode {mode} --client async {leak}"
  start_timeout: 180s
  tenants:
    alpha: {{key: k-alpha, canaries: [CANARY-alpha-5eed0a1f]}}
    beta: {{key: k-beta, canaries: [CANARY-beta-0b5e55ed]}}
  upstreams:
    crm: {{command: "{py} {upstream} {{port}} crm", health: /healthz, start_timeout: 120s}}
load: {{users: 2, spawn_rate: 2, tenants: [alpha, beta], think_time: 100ms}}
faults:
  - {{at: 3s, for: 4s, target: crm, kind: latency, latency_ms: 600}}
slos:
  llm_calls_per_request: "<= 2"
  max_llm_calls_per_request: "<= 2"
  cost_per_request: "<= $1"
  leaks: "== 0"
"""


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize(("mode", "leak"), [("agentkit", True), ("otel", False)])
def test_own_agent_is_judged_by_its_own_canaries_and_attributed_llm_calls(
    tmp_path: Path, mode: str, leak: bool,
) -> None:
    upstream = tmp_path / "crm.py"
    upstream.write_text(UPSTREAM, encoding="utf-8")
    path = tmp_path / "own.yaml"
    path.write_text(SCENARIO.format(py=sys.executable, agent=AGENT, mode=mode,
                                    upstream=upstream, leak="--leak" if leak else ""))
    out = tmp_path / "reports"
    proc = start_harness("run", str(path), "--out", str(out), "--quiet", "--seed", "3",
                         cwd=tmp_path)
    output, _ = proc.communicate(timeout=600)
    text = output.decode()
    assert proc.returncode == (1 if leak else 0), text

    (run_dir,) = list(out.iterdir())
    slo = {r["name"]: r for r in json.loads((run_dir / "slo.json").read_text())["slos"]}
    # A request still waiting when the load stopped has no outcome (the SLOs leave it out too).
    every = _rows(run_dir / "requests.jsonl")
    records = [r for r in every if r["error"] != "InFlightAtEnd"]
    ledger = _rows(run_dir / "llm_calls.us.jsonl")
    assert len(records) >= 10 and all(r["ok"] for r in records), text

    # Every LLM call is tied to its user request: two per request, exactly.
    ids = {r["request_id"] for r in every}
    per_request = Counter(row["correlation_id"] for row in ledger)
    assert set(per_request) <= ids  # no orphan (a call still running at the end may be short)
    assert slo["llm_calls_per_request"]["verdict"] == "pass"
    assert slo["llm_calls_per_request"]["value"] == pytest.approx(2.0, abs=0.2)
    assert slo["max_llm_calls_per_request"]["value"] == 2
    assert slo["cost_per_request"]["verdict"] == "pass" and slo["cost_per_request"]["value"] > 0

    # The agent's own canaries: only beta's replies leak (alpha's canary), and only with --leak.
    leaked = {r["tenant"]: r["leaked_canaries"] for r in records if r["leaked_canaries"]}
    if leak:
        assert set(leaked) == {"beta"} and leaked["beta"] == ["CANARY-alpha-5eed0a1f"]
        assert slo["leaks"]["verdict"] == "fail"
        assert slo["leaks"]["value"] == sum(r["tenant"] == "beta" for r in records)
    else:
        assert leaked == {} and slo["leaks"]["verdict"] == "pass"

    # The fault on the upstream reached the agent's own client through its proxied URL.
    events = {e["event"]: e for e in _rows(run_dir / "faults.jsonl")}
    assert events["applied"]["target"] == "crm" and "reverted" in events
    window = [r for r in records
              if events["applied"]["ts"] <= r["ts_start"] <= events["reverted"]["ts"] - 0.7]
    outside = [r for r in records if r["ts_end"] < events["applied"]["ts"]]
    assert window and all(r["latency_ms"] >= 600 for r in window)
    assert outside and min(r["latency_ms"] for r in outside) < 600
    run = json.loads((run_dir / "run.json").read_text())
    assert set(run["stack"]["upstreams"]) == {"crm"}
    assert (run_dir / "logs" / "upstream-crm.log").exists()
