"""Verdicts (default and strict), inconclusive samples, budgets and slo.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.measure import RunData, load_run
from harness.measure.synthetic import synthetic_run, write_run
from harness.slo import evaluate, parse_slo
from harness.slo.evaluate import meets

CONTRACT_FIELDS = {"name", "measure", "selector", "objective", "op", "threshold", "unit",
                   "value", "ci_low", "ci_high", "n", "verdict", "budget_remaining",
                   "description"}


def verdicts(data: RunData, specs: dict[str, str], strict: bool = False) -> dict[str, str]:
    return {r.name: r.verdict for r in evaluate(specs, data, strict=strict).slos}


def test_default_vs_strict(run: RunData) -> None:
    # availability 15/20 = 0.75, Wilson 95% about (0.531, 0.888)
    specs = {"availability": ">= 70%", "availability[during=baseline]": ">= 99%",
             "error_rate": "<= 50%"}
    assert verdicts(run, specs) == {"availability": "pass",
                                    "availability[during=baseline]": "inconclusive",
                                    "error_rate": "pass"}
    # baseline has n = 8 < 10: inconclusive in both modes
    strict = verdicts(run, specs, strict=True)
    assert strict["availability"] == "inconclusive"  # the interval straddles 70%
    assert strict["error_rate"] == "pass"  # the whole interval is below 50%
    assert verdicts(run, {"availability": ">= 99%"}, strict=True) == {"availability": "fail"}
    assert verdicts(run, {"availability": ">= 99%"}) == {"availability": "fail"}


def test_strict_on_a_big_sample_agrees_with_default() -> None:
    data = synthetic_run(20_000, fault=None, error_rate=0.001, seed=5)
    specs = {"availability": ">= 99%", "latency_p95": "<= 2s", "error_rate": "<= 10%"}
    assert verdicts(data, specs, strict=True) == verdicts(data, specs) == {
        "availability": "pass", "latency_p95": "pass", "error_rate": "pass"}


def test_strict_equality_objective(run: RunData) -> None:
    # exact counts have a zero-width interval
    assert verdicts(run, {"leaks[attack=false]": "== 0"}, strict=True) == {
        "leaks[attack=false]": "pass"}
    assert verdicts(run, {"leaks": "== 0"}, strict=True) == {"leaks": "fail"}


def test_tiny_samples_are_inconclusive(run: RunData) -> None:
    specs = {"availability[tenant=initech]": ">= 50%", "latency_p99": "<= 10s",
             "latency_p50": "<= 10s"}
    # initech n = 1; p99 needs 100 samples; p50 needs 10 (has 20)
    assert verdicts(run, specs) == {"availability[tenant=initech]": "inconclusive",
                                    "latency_p99": "inconclusive", "latency_p50": "pass"}


def test_overall_verdict(run: RunData) -> None:
    assert evaluate({"availability": ">= 70%"}, run).verdict == "pass"
    assert evaluate({"availability": ">= 70%", "latency_p99": "<= 1s"}, run).verdict == \
        "inconclusive"
    assert evaluate({"availability": ">= 99%", "latency_p99": "<= 1s"}, run).verdict == "fail"
    assert evaluate({}, run).verdict == "inconclusive"


def test_budget_remaining(run: RunData) -> None:
    report = evaluate({"availability": ">= 50%", "error_rate": "<= 50%",
                       "degraded_rate": "<= 10%", "latency_p50": "<= 2s"}, run)
    budget = {r.name: r.budget_remaining for r in report.slos}
    assert budget["availability"] == pytest.approx(1 - 0.25 / 0.5)
    assert budget["error_rate"] == pytest.approx(1 - 0.25 / 0.5)
    assert budget["degraded_rate"] == pytest.approx(1 - 0.05 / 0.1)
    assert budget["latency_p50"] is None


def test_specs_may_be_parsed_objects(run: RunData) -> None:
    report = evaluate([parse_slo("availability", ">= 70%")], run)
    assert report.slos[0].value == pytest.approx(0.75)


def test_slo_json_follows_the_contract(run: RunData, tmp_path: Path) -> None:
    report = evaluate({"availability[tenant=globex,during=faults]": ">= 99.9%",
                       "latency_p95": "<= 5s", "leaks": "== 0", "recovery_time": "<= 5s",
                       "retry_amplification": "<= 3"}, run, strict=True)
    path = report.write(tmp_path)
    assert path == tmp_path / "slo.json"
    doc = json.loads(path.read_text())
    assert doc["verdict"] == "fail" and doc["strict"] is True
    first = doc["slos"][0]
    assert set(first) >= CONTRACT_FIELDS
    assert first["name"] == "availability[tenant=globex,during=faults]"
    assert first["selector"] == {"tenant": "globex", "during": "faults"}
    assert first["threshold"] == pytest.approx(0.999) and first["unit"] == "ratio"
    assert first["op"] == ">=" and first["objective"] == ">= 99.9%"
    leaks = next(s for s in doc["slos"] if s["name"] == "leaks")
    assert leaks["detail"] == {"canaries": 3}
    assert "canary" in leaks["description"]


def test_loaded_run_matches_in_memory_run(tmp_path: Path) -> None:
    """write_run -> load_run (plain strings) measures the same as synthetic categoricals."""
    data = synthetic_run(3_000, seed=2, attack_share=0.1, leak_probability=0.2,
                         cache_share=0.25)
    loaded = load_run(write_run(data, tmp_path / "run"))
    specs = {"availability[tenant=acme]": ">= 90%", "llm_calls_per_request": "<= 5",
             "retry_amplification": "<= 3", "leaks": "== 0", "cache_hit_ratio": ">= 0",
             "blocked_tool_calls": ">= 0", "residency_violations": "== 0",
             "cost_per_request[during=faults]": "<= $1", "recovery_time": "<= 10s"}
    a = {r.name: r.value for r in evaluate(specs, data).slos}
    b = {r.name: r.value for r in evaluate(specs, loaded).slos}
    assert a == pytest.approx(b)
    assert a["leaks"] > 0 and a["blocked_tool_calls"] > 0
    assert a["cache_hit_ratio"] == pytest.approx(0.25, abs=0.01)


def test_meets_tolerates_float_noise() -> None:
    assert meets(0.999, ">=", 99.9 / 100)
    assert not meets(0.998, ">=", 0.999)
    assert meets(0.0, "==", 0.0) and not meets(1.0, "==", 0.0)
    assert meets(1.0, "<", 2.0) and not meets(2.0, "<", 2.0)
