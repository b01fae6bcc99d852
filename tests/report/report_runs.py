"""Fixture runs for report tests: synthetic ones scored by the real SLO engine, and small
hand-written partial ones (a killed run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from harness.measure.run_data import TOOL_CALL_COLUMNS
from harness.measure.synthetic import synthetic_run, write_run
from harness.slo import evaluate

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LEAKED = "CANARY-globex-0123456789ab"
SLOS = {
    "availability": ">= 99.9%",
    "latency_p95": "<= 5s",
    "retry_amplification": "<= 3",
    "leaks": "== 0",
    "latency_p95[tenant=globex]": "<= 10s",
}


def _add_attacks_and_leaks(data: Any) -> None:
    """Mark some requests as attacks, two of them leaking another tenant's canary."""
    req = data.requests
    for column in ("attack_id", "attack_category", "tenant", "leaked_canaries"):
        req[column] = req[column].astype(object)
    attack_rows = req.index[::50]
    req.loc[attack_rows, "attack_id"] = [f"inj-{i % 3:02d}" for i in range(len(attack_rows))]
    req.loc[attack_rows, "attack_category"] = ["direct" if i % 2 else "indirect"
                                               for i in range(len(attack_rows))]
    leaked = list(attack_rows[:2])
    req["leaked_canaries"] = [[LEAKED] if i in leaked else [] for i in req.index]
    req.loc[leaked, "tenant"] = "acme"


def _tool_calls(t0: float) -> pd.DataFrame:
    rows = [
        {"ts": t0 + 5, "tool": "order_lookup", "tenant": "acme", "requested_tenant": "globex",
         "correlation_id": "req-1", "authorized": False, "status": "error", "latency_ms": 3.0},
        {"ts": t0 + 6, "tool": "order_lookup", "tenant": "acme", "requested_tenant": "acme",
         "correlation_id": "req-2", "authorized": True, "status": "ok", "latency_ms": 2.0},
    ]
    return pd.DataFrame(rows, columns=TOOL_CALL_COLUMNS)


def make_run(
    run_dir: Path, n: int = 4000, profile: str = "hardened", fault_error_rate: float = 0.2,
    seed: int = 1,
) -> Path:
    """A synthetic run with two fault windows, attacks, leaks, tool calls and a real slo.json."""
    data = synthetic_run(n, duration_s=60.0, seed=seed, fault_error_rate=fault_error_rate)
    t0 = data.run["started"]
    _add_attacks_and_leaks(data)
    data.tool_calls = _tool_calls(t0)
    # A second, overlapping fault of another kind: both windows must be shaded and labelled.
    extra = {"index": 1, "kind": "latency", "target": "llm", "params": {"latency_ms": 2000},
             "at_s": 30.0, "for_s": 15.0, "error": None}
    data.faults = pd.concat([data.faults, pd.DataFrame([
        {"ts": t0 + 30.0, "event": "applied", **extra},
        {"ts": t0 + 45.0, "event": "reverted", **extra},
    ])], ignore_index=True)
    data.run.update({
        "scenario": "claude-api-hiccup", "profile": profile, "chapter": 2,
        "title": "99.9% uptime becomes 97% when the Claude API hiccups",
        "description": "The API returns 529 for 20 s; does the agent retry itself into a storm?",
        "rerun": f"harness run scenarios/claude-api-hiccup.yaml --profile {profile} --seed {seed}",
        "harness_version": "0.1.0", "versions": {"anthropic": "2.14.0", "python": "3.11"},
        "agent": {"profile": profile, "flags": {"retries": 3}},
    })
    write_run(data, run_dir)
    evaluate(SLOS, data).write(run_dir)
    return run_dir


def make_killed_run(run_dir: Path) -> Path:
    """A run killed mid-way: run.json and a few records (last one torn), a fault never
    reverted, no slo.json, no ledger."""
    run_dir.mkdir(parents=True)
    t0 = 1_700_000_000.0
    (run_dir / "run.json").write_text(json.dumps({
        "scenario": "killed", "title": "A run killed mid-way", "chapter": 3, "profile": "naive",
        "seed": 7, "started": t0, "rerun": "harness run scenarios/killed.yaml --seed 7",
        "duration_s": 600.0, "status": "running", "ended": None, "verdict": None,
    }))
    records = [
        {"ts_start": t0 + i, "ts_end": t0 + i + 0.4, "latency_ms": 400.0,
         "status": 200 if i % 3 else 0, "ok": bool(i % 3),
         "error": None if i % 3 else "ConnectError: connection refused", "tenant": "acme",
         "task": "chat", "request_id": f"r{i}", "llm_calls": None, "cost_usd": None,
         "degraded": False, "model": None, "attack_id": None, "attack_category": None,
         "leaked_canaries": [], "user": 0}
        for i in range(6)
    ]
    lines = [json.dumps(r) for r in records] + ['{"ts_start": 17000000']
    (run_dir / "requests.jsonl").write_text("\n".join(lines))
    (run_dir / "faults.jsonl").write_text(json.dumps({
        "ts": t0 + 2, "event": "applied", "index": 0, "kind": "down", "target": "llm",
        "params": {}, "at_s": 2.0, "for_s": 30.0, "error": None}) + "\n")
    return run_dir
