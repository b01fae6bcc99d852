"""The gate end to end on library scenarios: real stacks on loopback, --time-scale 0.25.

A/A (the same SPEC both sides) must find no regression, seed after seed; A/B with the hardened
agent's retries (its own and the SDK's), fallback model and degraded answers switched off must
find availability regressed; the same runs read the other way round must report an improvement.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.cli import main
from harness.gate.judge import RunRef, judge
from harness.scenario import load_scenario
from tests.once import once_per_session

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
HICCUP = ROOT / "scenarios" / "claude-api-hiccup.yaml"
BILL = ROOT / "scenarios" / "the-47k-bill.yaml"
# The agent's own retries off and the SDK's too (max_retries=0: with `retries` off the SDK
# retries max_retries times itself), no fallback model, no degraded answers: 529s reach users.
WEAK = "hardened:retries=false,max_retries=0,fallback_model=false,degrade=false"


def _gate(out: Path, *args: str) -> tuple[int, dict]:
    code = main(["gate", *args, "--time-scale", "0.25", "--out", str(out), "--quiet"])
    return code, json.loads((out / "gate.json").read_text())


@pytest.fixture(scope="module")
def ab(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[int, dict, Path]:
    def gate(out: Path) -> list:
        code, result = _gate(out, str(HICCUP), "--baseline", "hardened", "--candidate", WEAK,
                             "--junit", str(out / "junit.xml"),
                             "--summary-md", str(out / "pr.md"))
        return [code, result, str(out)]

    code, result, out = once_per_session(tmp_path_factory, worker_id, "gate-ab", gate)
    return code, result, Path(out)


def _rows(result: dict) -> dict[str, dict]:
    return {row["slo"]: row for s in result["scenarios"] for row in s["slos"]}


def test_a_real_regression_is_named(ab):
    code, result, _ = ab
    assert result["verdict"] == "regressed" and code == 1
    availability = _rows(result)["availability"]
    assert availability["verdict"] == "regressed", availability["why"]
    decision = availability["decision"]
    assert decision["estimate"] < 0 and decision["ci_high"] < 0  # lower availability
    assert "worse by" in availability["why"]


def test_reports_link_every_run_and_fit_ci(ab):
    _, result, out = ab
    html = (out / "gate.html").read_text()
    assert html.count("<svg") >= 3 and "REGRESSED" in html
    assert "<script" not in html and 'src="http' not in html and 'href="http' not in html
    runs = result["scenarios"][0]["runs"]
    assert [r["side"] for r in runs] == ["baseline", "candidate"]
    for run in runs:
        report = Path(run["run_dir"]) / "report.html"
        assert report.exists()
        assert Path(report).relative_to(out).as_posix() in html
    markdown = (out / "pr.md").read_text()
    assert markdown.startswith("## ✗ harness gate: **regressed**") and len(markdown) < 60_000
    suites = ET.parse(out / "junit.xml").getroot()
    cases = suites.findall("./testsuite/testcase")
    assert {c.get("name") for c in cases} == set(load_scenario(HICCUP).slos)
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert "availability" in failed


def test_the_same_runs_read_backwards_are_an_improvement(ab):
    _, result, _ = ab
    swap = {"baseline": "candidate", "candidate": "baseline"}
    runs = [RunRef(swap[r["side"]], r["seed"], Path(r["run_dir"]), r["verdict"], r["profile"])
            for r in result["scenarios"][0]["runs"]]
    backwards = judge(load_scenario(HICCUP), WEAK, "hardened", runs)
    rows = {r.slo: r for r in backwards.rows}
    assert rows["availability"].verdict == "improved", rows["availability"].why
    # Retrying is what buys that availability: backwards, the candidate (with retries) makes
    # more LLM calls per request, a real regression of retry_amplification and of nothing else.
    regressed = {r.slo for r in backwards.rows if r.verdict == "regressed"}
    assert regressed <= {"retry_amplification"}, [r.why for r in backwards.rows]
    assert backwards.verdict in ("improved", "regressed", "inconclusive", "misses objectives")
    assert (backwards.verdict == "regressed") == bool(regressed), backwards.verdict


@pytest.mark.timeout(900)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_a_finds_no_regression(seed: int, tmp_path: Path):
    """Same SPEC both sides on two library scenarios: the gate says no regression, seed after
    seed (one item per seed, so the seeds run side by side). The alarms seen are written to
    a_a.json beside the runs."""
    code, result = _gate(tmp_path, str(HICCUP), str(BILL), "--baseline", "hardened",
                         "--candidate", "hardened", "--seed", str(seed))
    decisions = [row for scenario in result["scenarios"] for row in scenario["slos"]]
    alarms = [(scenario["scenario"], row["slo"], row["why"]) for scenario in result["scenarios"]
              for row in scenario["slos"] if row["verdict"] != "no regression"]
    (tmp_path / "a_a.json").write_text(json.dumps(
        {"seed": seed, "decisions": len(decisions), "false_alarms": len(alarms),
         "alarms": alarms, "verdict": result["verdict"], "exit_code": code}, indent=2))
    print(f"A/A seed {seed}: {len(alarms)} false alarms in {len(decisions)} decisions")
    assert len(decisions) == 6
    assert not alarms, alarms
    assert result["verdict"] == "no regression" and code == 0
