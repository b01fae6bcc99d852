"""The gate's runs: baseline and candidate under the same seeds, load and faults, interleaved.

The only module of the gate that calls the runner. For each repeat i the seed is
`seed + i` (seed: --seed, else the scenario's) and the order is baseline, candidate, so
machine noise (a busy neighbour, a warm disk cache) falls on both sides alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from harness.gate.judge import RunRef
from harness.gate.spec import Side, variant
from harness.run.runner import RunOptions, RunResult, run_scenario
from harness.scenario import Scenario

__all__ = ["SIDES", "RunOptions", "gate_runs"]

SIDES = ("baseline", "candidate")


def gate_runs(scenario: Scenario, baseline: Side, candidate: Side, repeat: int,
              options: RunOptions, out_dir: Path,
              on_result: Callable[[str, int, RunResult], None] | None = None) -> list[RunRef]:
    """Run `repeat` pairs (A, B, A, B, ...) and return every run, in the order they ran."""
    first = options.seed if options.seed is not None else scenario.seed
    sides = {"baseline": (baseline, variant(scenario, baseline)),
             "candidate": (candidate, variant(scenario, candidate))}
    refs: list[RunRef] = []
    for i in range(repeat):
        seed = first + i
        for name in SIDES:
            side, scenario_variant = sides[name]
            opts = replace(options, seed=seed, out_root=out_dir / scenario.name / name)
            result = run_scenario(scenario_variant, side.run_profile, opts)
            refs.append(RunRef(name, seed, result.run_dir, result.verdict, side.run_profile))
            if on_result is not None:
                on_result(name, seed, result)
    return refs
