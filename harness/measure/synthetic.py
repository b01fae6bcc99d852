"""Synthetic runs for tests and benchmarks: plausible records with known fault windows.

Vectorised with numpy so a 1,000,000-request run is generated in about a second.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from harness.measure.run_data import (
    FAULT_COLUMNS,
    LLM_CALL_COLUMNS,
    REQUEST_COLUMNS,
    TOOL_CALL_COLUMNS,
    RunData,
)

TENANTS = ("acme", "globex", "initech")
TASKS = ("chat", "order_lookup", "kb_search", "long_context")


def synthetic_run(
    n_requests: int = 10_000,
    duration_s: float = 60.0,
    seed: int = 1,
    fault: tuple[float, float] | None = (20.0, 40.0),
    error_rate: float = 0.005,
    fault_error_rate: float = 0.2,
    start: float = 1_700_000_000.0,
) -> RunData:
    """A run of `n_requests` spread over `duration_s`, with one 529 fault window (offsets in s)."""
    rng = np.random.default_rng(seed)
    ts_start = start + np.sort(rng.uniform(0, duration_s, n_requests))
    latency_ms = rng.lognormal(mean=np.log(400), sigma=0.5, size=n_requests)
    in_fault = np.zeros(n_requests, dtype=bool)
    if fault is not None:
        in_fault = (ts_start >= start + fault[0]) & (ts_start < start + fault[1])
        latency_ms = np.where(in_fault, latency_ms * 2.5, latency_ms)
    failed = rng.random(n_requests) < np.where(in_fault, fault_error_rate, error_rate)
    status = np.where(failed, 503, 200)
    llm_calls = rng.integers(1, 4, n_requests) + np.where(in_fault, 1, 0)
    cost = llm_calls * rng.uniform(0.001, 0.004, n_requests)
    requests = pd.DataFrame(
        {
            "ts_start": ts_start,
            "ts_end": ts_start + latency_ms / 1000.0,
            "latency_ms": latency_ms,
            "status": status,
            "ok": ~failed,
            "error": np.where(failed, "HTTP 503", None),
            "tenant": rng.choice(TENANTS, n_requests),
            "task": rng.choice(TASKS, n_requests, p=[0.5, 0.2, 0.2, 0.1]),
            "request_id": [f"req-{i:08d}" for i in range(n_requests)],
            "llm_calls": llm_calls,
            "cost_usd": cost,
            "degraded": in_fault & ~failed & (rng.random(n_requests) < 0.3),
            "model": "claude-sonnet-4-5",
            "attack_id": None,
            "attack_category": None,
            "leaked_canaries": [[] for _ in range(n_requests)],
            "user": rng.integers(0, 50, n_requests),
        },
        columns=REQUEST_COLUMNS,
    )
    # One ledger row per LLM call, each tied to its request by correlation id.
    owner = np.repeat(np.arange(n_requests), llm_calls)
    n_calls = owner.size
    call_failed = rng.random(n_calls) < np.where(in_fault[owner], 0.3, 0.0)
    llm = pd.DataFrame(
        {
            "ts": requests["ts_start"].to_numpy()[owner] + rng.uniform(0, 0.3, n_calls),
            "request_id": [f"msg_{i:010d}" for i in range(n_calls)],
            "correlation_id": requests["request_id"].to_numpy()[owner],
            "tenant": requests["tenant"].to_numpy()[owner],
            "model": "claude-sonnet-4-5",
            "region": np.where(requests["tenant"].to_numpy()[owner] == "initech", "eu", "us"),
            "stream": False,
            "status": np.where(call_failed, 529, 200),
            "error_type": np.where(call_failed, "overloaded_error", None),
            "input_tokens": rng.integers(200, 2000, n_calls),
            "output_tokens": rng.integers(20, 400, n_calls),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "cost_usd": (cost / llm_calls)[owner],
            "latency_ms": rng.uniform(50, 300, n_calls),
            "stop_reason": np.where(call_failed, None, "end_turn"),
            "tool_calls": 0,
            "upstream": False,
        },
        columns=LLM_CALL_COLUMNS,
    )
    faults: list[dict[str, object]] = []
    if fault is not None:
        common = {"index": 0, "kind": "http_error", "target": "llm", "params": {"status": 529},
                  "at_s": fault[0], "for_s": fault[1] - fault[0], "error": None}
        faults = [
            {"ts": start + fault[0], "event": "applied", **common},
            {"ts": start + fault[1], "event": "reverted", **common},
        ]
    run = {
        "scenario": "synthetic", "title": "Synthetic run", "chapter": 0, "profile": "hardened",
        "seed": seed, "time_scale": 1.0, "started": start, "ended": start + duration_s,
        "duration_s": duration_s,
    }
    return RunData(
        run_dir=None,
        requests=requests,
        llm_calls=llm,
        tool_calls=pd.DataFrame(columns=TOOL_CALL_COLUMNS),
        faults=pd.DataFrame(faults, columns=FAULT_COLUMNS),
        run=run,
    )


def write_run(data: RunData, run_dir: Path) -> Path:
    """Write `data` as a run directory in the contract's file layout."""
    run_dir.mkdir(parents=True, exist_ok=True)
    data.requests.to_json(run_dir / "requests.jsonl", orient="records", lines=True)
    data.llm_calls.to_json(run_dir / "llm_calls.jsonl", orient="records", lines=True)
    data.tool_calls.to_json(run_dir / "tool_calls.jsonl", orient="records", lines=True)
    data.faults.to_json(run_dir / "faults.jsonl", orient="records", lines=True)
    (run_dir / "run.json").write_text(json.dumps(data.run, indent=2))
    return run_dir
