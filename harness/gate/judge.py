"""Judge a gate from its run directories: per SLO, the comparison and the candidate's objective.

Row verdicts, worst first (the scenario's verdict is its worst row, the gate's its worst
scenario):
  regressed          the comparison found a significant, practically relevant regression
  misses objectives  the candidate missed the SLO's absolute objective in a run (pass^N), and
                     the scenario's `expect` for its profile does not say `fail`
  inconclusive       the comparison could not decide, or a candidate run had no verdict
  improved           significantly and practically better
  no regression
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.gate.decide import Decision, decide
from harness.gate.effects import KINDS, MinEffect, parse_min_effect
from harness.gate.samples import Pooled, run_samples
from harness.measure import load_run
from harness.scenario import Scenario
from harness.slo import parse_slo

__all__ = ["EXIT_CODES", "ORDER", "GateResult", "RunRef", "SLOGate", "ScenarioGate", "judge",
           "worst"]

ORDER = ("regressed", "misses objectives", "inconclusive", "improved", "no regression")


def worst(verdicts: Sequence[str]) -> str:
    """The worst verdict of several (no verdicts at all: inconclusive)."""
    return min(verdicts, key=ORDER.index) if verdicts else "inconclusive"


@dataclass(frozen=True)
class RunRef:
    """One run of a gate, as the reports link it."""

    side: str  # baseline | candidate
    seed: int
    run_dir: Path
    verdict: str
    profile: str

    @property
    def report(self) -> Path:
        return self.run_dir / "report.html"


@dataclass
class SLOGate:
    slo: str
    decision: Decision
    objective: str  # the candidate's absolute verdict over its runs: pass | fail | inconclusive
    objective_runs: list[str]
    expected_fail: bool  # the scenario's `expect` says the candidate's profile fails
    baseline: Pooled
    candidate: Pooled

    @property
    def verdict(self) -> str:
        if self.decision.outcome == "regressed":
            return "regressed"
        if self.objective == "fail" and not self.expected_fail:
            return "misses objectives"
        if self.decision.outcome == "inconclusive" or self.objective == "inconclusive":
            return "inconclusive"
        return self.decision.outcome

    @property
    def why(self) -> str:
        """One sentence: the decision's reason, plus the objective when it matters."""
        text = self.decision.reason
        if self.objective == "fail":
            runs = sum(v == "fail" for v in self.objective_runs)
            text += (f"; the candidate missed the objective {self.decision.objective} in "
                     f"{runs} of {len(self.objective_runs)} runs"
                     + (" (expected: `expect` says fail)" if self.expected_fail else ""))
        elif self.objective == "inconclusive":
            text += "; a candidate run could not decide the objective"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"slo": self.slo, "verdict": self.verdict, "why": self.why,
                "objective": self.objective, "objective_runs": self.objective_runs,
                "expected_fail": self.expected_fail,
                "baseline_run_values": self.baseline.run_values,
                "candidate_run_values": self.candidate.run_values,
                "decision": self.decision.to_dict()}


@dataclass
class ScenarioGate:
    scenario: Scenario
    baseline: str  # labels of the two sides
    candidate: str
    runs: list[RunRef]
    rows: list[SLOGate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return worst([r.verdict for r in self.rows])

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario.name, "title": self.scenario.title,
                "source": str(self.scenario.source) if self.scenario.source else None,
                "baseline": self.baseline, "candidate": self.candidate,
                "verdict": self.verdict, "notes": self.notes,
                "runs": [{"side": r.side, "seed": r.seed, "run_dir": str(r.run_dir),
                          "verdict": r.verdict, "profile": r.profile} for r in self.runs],
                "slos": [r.to_dict() for r in self.rows]}


def _pool(kind: str, samples: list[Pooled]) -> Pooled:
    pooled = Pooled(kind)
    for s in samples:
        pooled.add(s)
    return pooled


def _objective(verdicts: list[str]) -> str:
    if not verdicts or "fail" in verdicts:
        return "fail" if verdicts else "inconclusive"
    return "inconclusive" if "inconclusive" in verdicts else "pass"


def min_effects(scenario: Scenario) -> dict[str, MinEffect]:
    """The scenario's `gate.min_effect` overrides, parsed (the schema has checked them)."""
    gate = getattr(scenario, "gate", None)
    table = dict(getattr(gate, "min_effect", None) or {})
    return {name: parse_min_effect(parse_slo(name, scenario.slos[name]).measure, text)
            for name, text in table.items()}


def judge(scenario: Scenario, baseline: str, candidate: str, runs: list[RunRef]) -> ScenarioGate:
    """Compare the candidate's runs with the baseline's, SLO by SLO (pooled over repeats)."""
    specs = [parse_slo(name, objective) for name, objective in scenario.slos.items()]
    gate = ScenarioGate(scenario, baseline, candidate, runs)
    if not specs:
        gate.notes.append("the scenario states no SLO: nothing to compare (inconclusive)")
    samples: dict[str, list[dict[str, Pooled]]] = {"baseline": [], "candidate": []}
    objectives: dict[str, list[str]] = {s.name: [] for s in specs}
    for ref in runs:
        data = load_run(ref.run_dir)
        samples[ref.side].append(run_samples(data, specs, seed=ref.seed))
        if ref.side == "candidate":
            found = {s["name"]: s["verdict"] for s in (data.slo or {}).get("slos", [])}
            for spec in specs:
                objectives[spec.name].append(found.get(spec.name, "inconclusive"))
    overrides = min_effects(scenario)
    profile = next((r.profile for r in runs if r.side == "candidate"), None)
    expected_fail = profile is not None and scenario.expect.get(profile) == "fail"
    seed = runs[0].seed if runs else scenario.seed
    for spec in specs:
        if spec.measure not in KINDS:
            continue
        kind = KINDS[spec.measure]
        b = _pool(kind, [s[spec.name] for s in samples["baseline"]])
        c = _pool(kind, [s[spec.name] for s in samples["candidate"]])
        decision = decide(spec, b, c, seed=seed, min_effect=overrides.get(spec.name))
        gate.rows.append(SLOGate(spec.name, decision, _objective(objectives[spec.name]),
                                 objectives[spec.name], expected_fail, b, c))
    return gate


EXIT_CODES = {"regressed": 1, "misses objectives": 1, "inconclusive": 1, "improved": 0,
              "no regression": 0}


@dataclass
class GateResult:
    """Every scenario's gate, and how it ran (for the reports and gate.json)."""

    scenarios: list[ScenarioGate]
    baseline: str
    candidate: str
    repeat: int
    time_scale: float
    out_dir: Path
    elapsed_s: float = 0.0

    @property
    def verdict(self) -> str:
        return worst([s.verdict for s in self.scenarios])

    def exit_code(self, allow_inconclusive: bool = False) -> int:
        if self.verdict == "inconclusive" and allow_inconclusive:
            return 0
        return EXIT_CODES[self.verdict]

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "baseline": self.baseline, "candidate": self.candidate,
                "repeat": self.repeat, "time_scale": self.time_scale,
                "elapsed_s": round(self.elapsed_s, 1),
                "scenarios": [s.to_dict() for s in self.scenarios]}
