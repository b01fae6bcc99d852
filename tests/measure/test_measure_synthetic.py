"""Synthetic runs: the shape the SLO engine and the benchmarks rely on."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.measure import load_run
from harness.measure.run_data import REQUEST_COLUMNS
from harness.measure.synthetic import synthetic_run, write_run


def test_columns_ids_and_joins() -> None:
    data = synthetic_run(5_000, seed=3)
    req = data.requests
    assert list(req.columns) == REQUEST_COLUMNS
    assert req["request_id"].is_unique
    assert req["request_id"].iloc[12] == "req-00000012"
    assert data.llm_calls["request_id"].is_unique
    # every ledger row belongs to a request, and the counts agree with the records
    calls = data.llm_calls["correlation_id"].value_counts()
    assert calls.reindex(req["request_id"]).to_numpy().tolist() == req["llm_calls"].tolist()
    assert set(data.tool_calls["correlation_id"]) <= set(req["request_id"])


def test_fault_window_raises_errors_and_calls() -> None:
    data = synthetic_run(20_000, seed=4)
    assert data.fault_windows() == [(1_700_000_020.0, 1_700_000_040.0, "http_error@llm")]
    inside = (req := data.requests)["ts_start"].between(1_700_000_020.0, 1_700_000_040.0,
                                                       inclusive="left")
    assert (~req["ok"][inside]).mean() > 5 * (~req["ok"][~inside]).mean()
    assert req["llm_calls"][inside].mean() > req["llm_calls"][~inside].mean() + 0.5


def test_attacks_leaks_and_regions() -> None:
    data = synthetic_run(10_000, seed=5, attack_share=0.1, leak_probability=0.5)
    req = data.requests
    attacks = req["attack_id"].notna()
    leaked = req["leaked_canaries"].map(len) > 0
    assert 0.05 < attacks.mean() < 0.15
    assert leaked.sum() > 0 and not (leaked & ~attacks).any()
    eu = data.llm_calls["tenant"] == "initech"
    assert (data.llm_calls["region"][eu] == "eu").all()
    assert data.run["tenants"]["initech"]["region"] == "eu"


def test_seeded_and_round_trips(tmp_path: Path) -> None:
    a, b = synthetic_run(2_000, seed=9), synthetic_run(2_000, seed=9)
    assert np.array_equal(a.requests["latency_ms"], b.requests["latency_ms"])
    loaded = load_run(write_run(a, tmp_path / "run"))
    assert len(loaded.requests) == 2_000 and len(loaded.llm_calls) == len(a.llm_calls)
    assert loaded.requests["tenant"].tolist() == a.requests["tenant"].astype(object).tolist()
    assert loaded.fault_windows() == a.fault_windows()
