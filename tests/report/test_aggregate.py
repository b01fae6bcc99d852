"""Aggregation on tiny hand-made records whose answers can be computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.measure import RunData
from harness.report import aggregate as agg

T0 = 1_000.0


def _requests(rows: list[dict]) -> pd.DataFrame:
    base = {"ts_end": None, "latency_ms": 100.0, "status": 200, "ok": True, "error": None,
            "tenant": "acme", "task": "chat", "request_id": None, "llm_calls": 1,
            "cost_usd": 0.01, "degraded": False, "model": None, "attack_id": None,
            "attack_category": None, "leaked_canaries": [], "user": 0}
    data = RunData.from_records([{**base, **r} for r in rows], run={"started": T0,
                                                                    "duration_s": 4.0})
    return agg.normalise_requests(data.requests)


@pytest.mark.parametrize(("duration", "step"), [(1, 0.1), (60, 0.25), (600, 5), (86_400, 600)])
def test_bucket_step_keeps_buckets_bounded(duration: float, step: float) -> None:
    assert agg.bucket_step(duration) == step
    assert duration / agg.bucket_step(duration) <= agg.MAX_BUCKETS


def test_timeline_counts_rates_and_percentiles_per_bucket() -> None:
    req = _requests([
        {"ts_start": T0 + 0.1, "latency_ms": 100.0},
        {"ts_start": T0 + 0.2, "latency_ms": 300.0, "ok": False, "status": 503},
        {"ts_start": T0 + 2.5, "latency_ms": 200.0},
    ])
    tl = agg.timeline(req, pd.DataFrame(columns=["ts", "cost_usd"]), T0, 4.0, max_buckets=4)
    assert tl.step_s == 1.0
    f = tl.frame
    assert list(f["requests"]) == [2, 0, 1, 0]
    assert list(f["rps"]) == [2.0, 0.0, 1.0, 0.0]
    assert f["error_rate"].iloc[0] == 0.5 and np.isnan(f["error_rate"].iloc[1])
    assert f["p50"].iloc[0] == pytest.approx(200.0)
    # No ledger: LLM calls and cost come from the request records.
    assert list(f["llm_calls_ps"]) == [2.0, 0.0, 1.0, 0.0]
    assert f["cost_per_hour"].iloc[0] == pytest.approx(0.02 * 3600)


def test_missing_ok_is_derived_from_status() -> None:
    req = _requests([{"ts_start": T0, "ok": None, "status": 500},
                     {"ts_start": T0, "ok": None, "status": 204}])
    assert list(req["ok"]) == [False, True]


def test_retry_amplification_compares_inside_and_outside_windows() -> None:
    req = _requests([
        {"ts_start": T0 + 0.5, "llm_calls": 1},
        {"ts_start": T0 + 1.5, "llm_calls": 4},
        {"ts_start": T0 + 1.7, "llm_calls": 6},
        {"ts_start": T0 + 3.0, "llm_calls": 3},
    ])
    windows = [agg.Window(1.0, 2.0, "http_error@llm")]
    amp = agg.retry_amplification(req, pd.DataFrame(), windows, T0)
    assert amp is not None
    assert amp["inside"]["n"] == 2 and amp["inside"]["mean"] == 5.0
    assert amp["outside"]["n"] == 2 and amp["outside"]["mean"] == 2.0
    assert amp["ratio"] == 2.5


def test_leaks_are_masked_and_attacks_counted() -> None:
    req = _requests([
        {"ts_start": T0, "attack_id": "inj-1", "attack_category": "direct",
         "leaked_canaries": ["CANARY-globex-aaaaaaaaaaaa"]},
        {"ts_start": T0, "attack_id": "inj-1", "attack_category": "direct"},
        {"ts_start": T0, "attack_id": "inj-2", "attack_category": "indirect"},
        {"ts_start": T0},
    ])
    count, rows = agg.leaks(req, T0)
    assert count == 1
    assert rows[0]["canaries"] == ["CANARY-globex-••••••••"]
    by_id = {r["attack_id"]: r for r in agg.attacks(req)}
    assert by_id["inj-1"] == {"category": "direct", "attack_id": "inj-1", "n": 2, "leaked": 1,
                              "failed": 0, "blocked": 1}
    assert by_id["inj-2"]["blocked"] == 1


def test_status_breakdown_folds_the_tail() -> None:
    req = _requests([{"ts_start": T0, "status": 500 + i, "ok": False, "error": f"e{i}"}
                     for i in range(5)] + [{"ts_start": T0}] * 5)
    rows = agg.status_breakdown(req, top=2)
    assert rows[0] == {"status": 200, "error": "", "n": 5, "share": 0.5}
    assert rows[-1]["error"] == "4 other kinds" and rows[-1]["n"] == 4
    assert sum(r["n"] for r in rows) == 10


def test_breakdown_by_tenant() -> None:
    req = _requests([{"ts_start": T0, "tenant": "acme", "latency_ms": 100.0},
                     {"ts_start": T0, "tenant": "globex", "ok": False, "status": 500},
                     {"ts_start": T0, "tenant": None}])
    rows = {r["key"]: r for r in agg.breakdown(req, "tenant")}
    assert set(rows) == {"acme", "globex", agg.NONE_LABEL}
    assert rows["globex"]["error_rate"] == 1.0 and rows["acme"]["error_rate"] == 0.0


def test_histogram_splits_ok_and_failed() -> None:
    req = _requests([{"ts_start": T0, "latency_ms": v} for v in (10.0, 100.0, 1000.0)]
                    + [{"ts_start": T0, "latency_ms": 1000.0, "ok": False, "status": 500}])
    hist = agg.latency_histogram(req, bins=3)
    assert hist is not None
    assert hist.ok.sum() == 3 and hist.failed.sum() == 1
