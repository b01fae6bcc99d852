"""Synthetic runs for tests and benchmarks: plausible records with known fault windows.

Vectorised with numpy. Low-cardinality string columns (tenant, task, status, ...) are pandas
categoricals and ids are built from a byte matrix, which skips pandas' per-value string
inference and Python-level list building: those were most of the cost. Consumers should treat
string columns by value (`==`, `isin`, `astype(object)`), as `load_run` yields plain strings.
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

__all__ = ["TASKS", "TENANTS", "synthetic_run", "write_run"]

TENANTS = ("acme", "globex", "initech")
TENANT_REGIONS = {"acme": "us", "globex": "us", "initech": "eu"}
TASKS = ("chat", "order_lookup", "kb_search", "long_context")
TOOLS = ("chat", "order_lookup", "kb_search", "long_context")  # tool used by each task
MODEL = "claude-sonnet-4-5"


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    """Object array `prefix + zero-padded i` for i in 0..n-1, without a Python loop."""
    head = prefix.encode()
    size = len(head) + width
    buf = np.empty((n, size), dtype=np.uint8)
    buf[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    i = np.arange(n, dtype=np.int64)
    for k in range(width):
        buf[:, size - 1 - k] = i % 10 + ord("0")
        i //= 10
    return buf.view(f"S{size}").ravel().astype(f"U{size}").astype(object)


def _pick(values: tuple[str, ...], codes: np.ndarray) -> pd.Categorical:
    """Categorical of `values[code]`; code -1 is a missing value (None in the records)."""
    return pd.Categorical.from_codes(codes, categories=list(values))


def _where(mask: np.ndarray, value: str) -> pd.Categorical:
    """`value` where mask, else missing."""
    return _pick((value,), np.where(mask, 0, -1))


_SESSIONS = tuple(f"u{i}-s0" for i in range(50))


def _frame(columns: dict[str, object], order: list[str], n: int) -> pd.DataFrame:
    """A DataFrame without per-value string inference or object-block consolidation.

    Low-cardinality strings are categoricals (cheap: codes plus a few categories); a scalar
    string becomes a one-category column.
    """
    data: dict[str, object] = {}
    for name in order:
        # a column not generated (the stream times: synthetic replies are not streamed) is empty
        value = columns[name] if name in columns else np.full(n, None, dtype=object)
        if isinstance(value, str):
            value = _pick((value,), np.zeros(n, dtype=np.int8))
        elif isinstance(value, np.ndarray) and value.dtype == object:
            value = pd.Series(value, dtype=object, copy=False)
        data[name] = value
    return pd.DataFrame(data, columns=order, copy=False)


def synthetic_run(
    n_requests: int = 10_000,
    duration_s: float = 60.0,
    seed: int = 1,
    fault: tuple[float, float] | None = (20.0, 40.0),
    error_rate: float = 0.005,
    fault_error_rate: float = 0.2,
    start: float = 1_700_000_000.0,
    attack_share: float = 0.0,
    leak_probability: float = 0.0,
    tool_calls: bool = True,
    cache_share: float = 0.0,
) -> RunData:
    """A run of `n_requests` spread over `duration_s`, with one 529 fault window (offsets in s).

    Optional realism for the security and cost SLOs: `attack_share` of requests are attacks,
    of which `leak_probability` leak one canary; with `tool_calls` each non-chat request makes
    one tool call (attacks read another tenant's rows); `cache_share` of input tokens are
    cache reads.
    """
    rng = np.random.default_rng(seed)
    n = n_requests
    ts_start = start + np.sort(rng.uniform(0, duration_s, n))
    latency_ms = rng.lognormal(mean=np.log(400), sigma=0.5, size=n)
    in_fault = np.zeros(n, dtype=bool)
    if fault is not None:
        in_fault = (ts_start >= start + fault[0]) & (ts_start < start + fault[1])
        latency_ms = np.where(in_fault, latency_ms * 2.5, latency_ms)
    failed = rng.random(n) < np.where(in_fault, fault_error_rate, error_rate)
    llm_calls = rng.integers(1, 4, n) + np.where(in_fault, 1, 0)
    cost = llm_calls * rng.uniform(0.001, 0.004, n)
    tenant_code = rng.integers(0, len(TENANTS), n)
    task_code = rng.choice(len(TASKS), n, p=[0.5, 0.2, 0.2, 0.1])
    attack = rng.random(n) < attack_share
    request_id = _ids("req-", n, 8)
    # One shared empty list for the many clean replies: a list per row would cost a second
    # per million rows. Treat the column as read-only.
    empty: list[str] = []
    leaked = np.empty(n, dtype=object)
    leaked.fill(empty)
    leaking = np.flatnonzero(attack & (rng.random(n) < leak_probability))
    for i in leaking:
        victim = TENANTS[(tenant_code[i] + 1) % len(TENANTS)]
        leaked[i] = [f"CANARY-{victim}-{i:012x}"]
    requests = _frame(
        {
            "ts_start": ts_start,
            "ts_end": ts_start + latency_ms / 1000.0,
            "latency_ms": latency_ms,
            "status": np.where(failed, 503, 200),
            "ok": ~failed,
            "error": _where(failed, "HTTP 503"),
            "tenant": _pick(TENANTS, tenant_code),
            "task": _pick(TASKS, task_code),
            "request_id": request_id,
            "llm_calls": llm_calls,
            "cost_usd": cost,
            "degraded": in_fault & ~failed & (rng.random(n) < 0.3),
            "model": MODEL,
            "attack_id": _where(attack, "pi-direct-001"),
            "attack_category": _where(attack, "direct"),
            "leaked_canaries": leaked,
            "user": (user := rng.integers(0, 50, n)),
            "session": _pick(_SESSIONS, user),  # one conversation per user
            "turn": np.zeros(n, dtype=np.int64),
        },
        REQUEST_COLUMNS, n,
    )
    llm = _ledger(rng, requests, tenant_code, llm_calls, cost, in_fault, cache_share)
    tools = _tool_calls(rng, ts_start, tenant_code, task_code, attack, request_id) \
        if tool_calls else pd.DataFrame(columns=TOOL_CALL_COLUMNS)
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
        "tenants": {name: {"region": region} for name, region in TENANT_REGIONS.items()},
    }
    return RunData(
        run_dir=None,
        requests=requests,
        llm_calls=llm,
        tool_calls=tools,
        faults=pd.DataFrame(faults, columns=FAULT_COLUMNS),
        run=run,
    )


def _ledger(rng: np.random.Generator, requests: pd.DataFrame, tenant_code: np.ndarray,
            llm_calls: np.ndarray, cost: np.ndarray, in_fault: np.ndarray,
            cache_share: float) -> pd.DataFrame:
    """One ledger row per LLM call, each tied to its request by correlation id."""
    owner = np.repeat(np.arange(len(requests)), llm_calls)
    n_calls = owner.size
    call_failed = rng.random(n_calls) < np.where(in_fault[owner], 0.3, 0.0)
    tenant_code = tenant_code[owner]
    regions = tuple(sorted(set(TENANT_REGIONS.values())))
    region_code = np.array([regions.index(TENANT_REGIONS[t]) for t in TENANTS])[tenant_code]
    region = _pick(regions, region_code)
    prompt = rng.integers(200, 2000, n_calls)
    cache_read = (prompt * cache_share).astype(np.int64)
    return _frame(
        {
            "ts": requests["ts_start"].to_numpy()[owner] + rng.uniform(0, 0.3, n_calls),
            "request_id": _ids("msg_", n_calls, 10),
            "correlation_id": requests["request_id"].to_numpy()[owner],
            "tenant": _pick(TENANTS, tenant_code),
            "model": MODEL,
            "region": region,
            "stream": np.zeros(n_calls, dtype=bool),
            "status": np.where(call_failed, 529, 200),
            "error_type": _where(call_failed, "overloaded_error"),
            "input_tokens": prompt - cache_read,
            "output_tokens": rng.integers(20, 400, n_calls),
            "cache_creation_input_tokens": np.zeros(n_calls, dtype=np.int64),
            "cache_read_input_tokens": cache_read,
            "cost_usd": (cost / llm_calls)[owner],
            "latency_ms": rng.uniform(50, 300, n_calls),
            "stop_reason": _where(~call_failed, "end_turn"),
            "tool_calls": np.zeros(n_calls, dtype=np.int64),
            "upstream": np.zeros(n_calls, dtype=bool),
            "trace_id": _ids("0" * 24, n_calls, 8),  # 32 hex digits, as W3C's trace-id
        },
        LLM_CALL_COLUMNS, n_calls,
    )


def _tool_calls(rng: np.random.Generator, ts_start: np.ndarray, tenant_code: np.ndarray,
                task_code: np.ndarray, attack: np.ndarray, request_id: np.ndarray
                ) -> pd.DataFrame:
    """One tool call per non-chat request; an attack asks for the next tenant's rows and is
    refused (as the hardened tool server does)."""
    owner = np.flatnonzero(task_code != 0)
    k = owner.size
    own = tenant_code[owner]
    asked = np.where(attack[owner], (own + 1) % len(TENANTS), own)
    refused = asked != own
    nothing = np.empty(k, dtype=object)  # one shared list per column, as for leaks: read-only
    result_tenants = np.empty(k, dtype=object)
    result_tenants.fill([])
    return _frame(
        {
            "ts": ts_start[owner] + rng.uniform(0, 0.2, k),
            "tool": _pick(TOOLS, task_code[owner]),
            "tenant": _pick(TENANTS, own),
            "requested_tenant": _pick(TENANTS, asked),
            "correlation_id": request_id[owner],
            "authorized": ~refused,
            "status": _pick(("ok", "error"), refused.astype(np.int8)),
            "latency_ms": rng.uniform(5, 50, k),
            "error": _where(refused, "unauthorized: tenant mismatch"),
            "scoped": np.ones(k, dtype=bool),
            "fault": nothing,
            "result_tenants": result_tenants,
        },
        TOOL_CALL_COLUMNS, k,
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
