"""--ablate with the runner replaced by a stand-in whose verdict depends on the flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.run import ablate as ablate_mod
from harness.run.ablate import ablate, pattern_flags, write_ablation
from harness.run.runner import RunOptions, RunResult
from harness.scenario import parse_scenario

SCENARIO = """
name: toy
title: toy incident
duration: 10s
agent: {set: {max_iterations: 4}}
slos: {availability: ">= 99%"}
expect: {naive: fail, hardened: pass}
"""


def test_pattern_flags_are_the_bool_flags_that_differ_by_profile():
    flags = pattern_flags()
    assert {"retries", "tenant_scoping", "auto_rollback", "prompt_caching"} <= set(flags)
    assert "stream" not in flags and "otel_export" not in flags and "fail_rate" not in flags


@pytest.fixture
def fake_runs(monkeypatch, tmp_path):
    """run_scenario stand-in: fails when `retries` or `degrade` is off; records each call."""
    calls: list[tuple[str, str, dict[str, Any]]] = []

    def run(scenario, profile, options):
        overrides = dict(scenario.agent.set)
        calls.append((scenario.name, profile, overrides))
        bad = overrides.get("retries") is False or overrides.get("degrade") is False
        run_dir = tmp_path / f"run-{len(calls)}"
        run_dir.mkdir()
        slo = {"name": "availability", "verdict": "fail" if bad else "pass",
               "value": 0.9 if bad else 1.0}
        return RunResult(scenario=scenario, profile=profile, run_dir=run_dir,
                         verdict=slo["verdict"], expected="pass", slos=[slo])

    monkeypatch.setattr(ablate_mod, "run_scenario", run)
    return calls


def test_ablation_finds_the_patterns_the_verdict_depends_on(fake_runs, tmp_path):
    scenario = parse_scenario(SCENARIO)
    result = ablate(scenario, RunOptions(out_root=tmp_path))
    assert len(fake_runs) == 1 + len(pattern_flags())
    assert fake_runs[0] == ("toy", "hardened", {"max_iterations": 4})
    name, profile, overrides = fake_runs[1]
    assert profile == "hardened" and overrides == {"max_iterations": 4, pattern_flags()[0]: False}
    assert name == f"toy-without-{pattern_flags()[0].replace('_', '-')}"
    assert sorted(result.depends_on()) == ["degrade", "retries"]

    json_path, html_path = write_ablation([result], tmp_path / "out")
    data = json.loads(json_path.read_text())["ablations"][0]
    assert data["depends_on"] == result.depends_on()
    assert data["baseline"]["verdict"] == "pass"
    row = next(r for r in data["ablations"] if r["flag"] == "retries")
    assert row["matters"] is True and row["failed_slos"] == ["availability"]
    html = html_path.read_text()
    assert "retries" in html and "<script" not in html


def test_a_failing_baseline_means_nothing_depends(fake_runs, tmp_path):
    scenario = parse_scenario(SCENARIO.replace("max_iterations: 4", "retries: false"))
    result = ablate(scenario, RunOptions(out_root=tmp_path), flags=["degrade"])
    assert result.baseline.verdict == "fail"
    assert result.depends_on() == []


def test_only_pattern_flags_and_the_reference_agent(fake_runs, tmp_path):
    with pytest.raises(ValueError, match="not pattern flags: max_iterations"):
        ablate(parse_scenario(SCENARIO), RunOptions(out_root=tmp_path), flags=["max_iterations"])
    own = parse_scenario(SCENARIO.replace("agent: {set: {max_iterations: 4}}",
                                          'agent: {command: "x --port {port}"}')
                         .replace("{naive: fail, hardened: pass}", "{own: pass}"))
    with pytest.raises(ValueError, match="reference agent"):
        ablate(own, RunOptions(out_root=tmp_path))
    assert fake_runs == []


def test_cli_refuses_ablating_the_naive_profile(tmp_path: Path):
    from harness.cli import main

    path = tmp_path / "toy.yaml"
    path.write_text(SCENARIO)
    assert main(["run", str(path), "--ablate", "--profile", "naive", "--out",
                 str(tmp_path)]) == 2


def test_cli_checks_ablate_flags(tmp_path: Path):
    from harness.cli import main

    path = tmp_path / "toy.yaml"
    path.write_text(SCENARIO)
    assert main(["run", str(path), "--ablate-flags", "retries", "--out", str(tmp_path)]) == 2
    assert main(["run", str(path), "--ablate", "--ablate-flags", "stream", "--out",
                 str(tmp_path)]) == 2
    assert not list(tmp_path.glob("*-toy-*")), "nothing may run on a usage error"
