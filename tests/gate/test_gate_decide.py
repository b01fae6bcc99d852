"""Gate decisions on synthetic run directories with known changes (harness.measure.synthetic)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from harness.gate.decide import decide
from harness.gate.effects import MIN_EFFECTS, direction, parse_min_effect
from harness.gate.judge import GateResult, RunRef, judge
from harness.gate.samples import Pooled
from harness.measure import load_run
from harness.measure.synthetic import synthetic_run, write_run
from harness.report.gate import gate_junit, gate_markdown, render_gate
from harness.scenario import parse_scenario
from harness.slo import evaluate, parse_slo

SCENARIO = parse_scenario("""name: synth
title: Synthetic incident
duration: 60s
slos:
  availability: ">= 90%"
  latency_p95: "<= 5s"
  cost_per_request: "<= $0.05"
  retry_amplification: "<= 3"
  recovery_time: "<= 30s"
expect: {naive: fail}
""", "synth.yaml")


def _runs(tmp: Path, *, latency: float = 1.0, error_rate: float = 0.005, cost: float = 1.0,
          repeat: int = 2, profile: str = "hardened", n: int = 800) -> list[RunRef]:
    refs = []
    for seed in range(1, repeat + 1):
        for side in ("baseline", "candidate"):
            changed = side == "candidate"
            data = synthetic_run(n_requests=n, seed=seed * 10 + changed,
                                 error_rate=error_rate if changed else 0.005)
            if changed:
                data.requests["latency_ms"] = data.requests["latency_ms"] * latency
                data.llm_calls["cost_usd"] = data.llm_calls["cost_usd"] * cost
            run_dir = write_run(data, tmp / side / str(seed))
            report = evaluate(SCENARIO.slos, load_run(run_dir), seed=seed)
            report.write(run_dir)
            (run_dir / "report.html").write_text("<html></html>")
            refs.append(RunRef(side, seed, run_dir, report.verdict, profile))
    return refs


def _verdicts(gate) -> dict[str, str]:
    return {r.slo: r.verdict for r in gate.rows}


def test_no_change_is_no_regression(tmp_path):
    gate = judge(SCENARIO, "hardened", "hardened", _runs(tmp_path))
    verdicts = _verdicts(gate)
    assert verdicts.pop("recovery_time") == "inconclusive"  # 2 runs a side cannot decide
    assert set(verdicts.values()) == {"no regression"}, [r.why for r in gate.rows]


def test_known_latency_shift_is_a_regression_with_its_size(tmp_path):
    gate = judge(SCENARIO, "a", "b", _runs(tmp_path, latency=1.5))
    row = next(r for r in gate.rows if r.slo == "latency_p95")
    assert row.verdict == "regressed"
    # A 1.5x lognormal with median 400ms (doubled in the fault window): the shift of the
    # medians is about 200ms.
    assert 0.15 < row.decision.estimate < 0.3
    assert row.decision.ci_low < row.decision.estimate < row.decision.ci_high
    assert _verdicts(gate)["availability"] == "no regression"


def test_lower_availability_regresses_and_misses_its_objective(tmp_path):
    gate = judge(SCENARIO, "a", "b", _runs(tmp_path, error_rate=0.2))
    row = next(r for r in gate.rows if r.slo == "availability")
    assert row.verdict == "regressed" and row.decision.estimate < -0.1
    assert gate.verdict == "regressed"


def test_cost_up_30_percent_regresses_5_percent_does_not(tmp_path):
    up = judge(SCENARIO, "a", "b", _runs(tmp_path / "up", cost=1.3))
    row = next(r for r in up.rows if r.slo == "cost_per_request")
    assert row.verdict == "regressed" and row.decision.estimate == pytest.approx(1.3, rel=0.05)
    small = judge(SCENARIO, "a", "b", _runs(tmp_path / "small", cost=1.05, n=4000))
    row = next(r for r in small.rows if r.slo == "cost_per_request")
    assert row.verdict == "no regression", row.why  # below the 10% minimum effect


def test_faster_candidate_is_an_improvement(tmp_path):
    gate = judge(SCENARIO, "a", "b", _runs(tmp_path, latency=0.5))
    assert _verdicts(gate)["latency_p95"] == "improved"


def test_expect_fail_excuses_a_missed_objective_but_not_a_regression(tmp_path):
    gate = judge(SCENARIO, "a", "naive", _runs(tmp_path, error_rate=0.2, profile="naive"))
    row = next(r for r in gate.rows if r.slo == "availability")
    assert row.expected_fail and row.objective == "fail"
    assert row.verdict == "regressed"  # the comparison still decides


def test_the_candidate_missing_an_objective_fails_even_if_the_baseline_did(tmp_path):
    spec = parse_slo("availability", ">= 99.9%")
    same = Pooled("proportion", k=980, n=1000)
    decision = decide(spec, same, Pooled("proportion", k=981, n=1000))
    assert decision.outcome == "no regression"
    from harness.gate.judge import SLOGate

    row = SLOGate("availability", decision, "fail", ["fail"], False, same, same)
    assert row.verdict == "misses objectives"
    assert SLOGate("availability", decision, "fail", ["fail"], True, same, same).verdict == \
        "no regression"


def test_too_few_samples_are_inconclusive():
    spec = parse_slo("latency_p95", "<= 1s")
    small = Pooled("shift", values=[np.linspace(0.1, 0.5, 10)])
    decision = decide(spec, small, small)
    assert decision.outcome == "inconclusive" and "too few samples" in decision.reason
    runs = parse_slo("recovery_time", "<= 5s")
    few = Pooled("per_run", run_values=[1.0, 2.0])
    assert decide(runs, few, few).outcome == "inconclusive"


def test_per_run_measures_decide_with_enough_repeats():
    spec = parse_slo("recovery_time", "<= 30s")
    base = Pooled("per_run", run_values=[2.0, 2.5, 3.0, 2.2, 2.8])
    worse = Pooled("per_run", run_values=[9.0, 8.5, 10.0, 9.5, 11.0])
    assert decide(spec, base, worse).outcome == "regressed"


def test_a_significant_change_below_the_minimum_effect_is_no_regression():
    spec = parse_slo("availability", ">= 99%")
    base, cand = Pooled("proportion", k=99_900, n=100_000), Pooled("proportion", k=99_700,
                                                                    n=100_000)
    decision = decide(spec, base, cand)
    assert decision.ci_high < 0 and decision.outcome == "no regression"
    assert "smaller than the minimum effect" in decision.reason
    strict = decide(spec, base, cand, min_effect=parse_min_effect("availability", "0.1pp"))
    assert strict.outcome == "regressed"


def test_min_effect_forms_and_directions():
    assert parse_min_effect("latency_p95", "250ms").threshold(10.0) == pytest.approx(0.25)
    assert parse_min_effect("latency_p95", "10%").threshold(2.0) == pytest.approx(0.2)
    assert parse_min_effect("cost_per_request", "5%").relative == pytest.approx(0.05)
    with pytest.raises(ValueError, match="percentage points"):
        parse_min_effect("availability", "1s")
    assert MIN_EFFECTS["latency_p95"].threshold(0.1) == pytest.approx(0.05)
    assert direction(">=", 0.99) == -1 and direction("<=", 5) == 1
    assert direction("==", 0) == 1 and direction("==", 3) == 0


def test_reports_of_a_gate(tmp_path):
    gate = judge(SCENARIO, "hardened", "hardened:retries=false",
                 _runs(tmp_path, error_rate=0.2, latency=1.3))
    result = GateResult([gate], "hardened", "hardened:retries=false", 2, 1.0, tmp_path, 12.0)
    assert result.verdict == "regressed" and result.exit_code() == 1
    html = render_gate(result, tmp_path / "gate.html").read_text()
    assert html.count("<svg") == len(gate.rows) and "<script" not in html
    for ref in gate.runs:
        assert ref.report.relative_to(tmp_path).as_posix() in html
    markdown = gate_markdown(result, "https://ci.example/gate.html")
    assert markdown.startswith("## ✗ harness gate: **regressed**")
    assert "| `availability` `>= 90%` |" in markdown and "[Report](https://ci" in markdown
    root = ET.fromstring(gate_junit(result))
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == list(SCENARIO.slos)
    assert next(c for c in cases if c.get("name") == "availability").find("failure") is not None
    for case, row in zip(cases, gate.rows, strict=True):
        state = ("failure" if case.find("failure") is not None
                 else "skipped" if case.find("skipped") is not None else "ok")
        expected = {"regressed": "failure", "misses objectives": "failure",
                    "inconclusive": "skipped"}.get(row.verdict, "ok")
        assert state == expected, (row.slo, row.verdict)


def test_inconclusive_exit_code_can_be_allowed(tmp_path):
    gate = judge(SCENARIO.model_copy(update={"slos": {"recovery_time": "<= 30s"}}), "a", "a",
                 _runs(tmp_path))
    result = GateResult([gate], "a", "a", 2, 1.0, tmp_path)
    assert result.verdict == "inconclusive"
    assert result.exit_code() == 1 and result.exit_code(allow_inconclusive=True) == 0
