"""Per-SLO gate decisions: compare the pooled samples, then apply the minimum effect.

    regressed      the interval lies wholly on the bad side of "no change" AND the estimate is
                   at least the minimum effect on that side
    improved       the same on the good side (objectives with a direction only)
    no regression  neither
    inconclusive   a side has fewer samples than the kind's minimum (effects.MIN_SAMPLES, or
                   the measure's own min_n), or no value at all
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from harness.gate import stats
from harness.gate.effects import KINDS, MIN_EFFECTS, MIN_SAMPLES, MinEffect, direction
from harness.gate.samples import Pooled
from harness.slo import MEASURES, SLOSpec
from harness.slo.stats import rng_for

__all__ = ["Decision", "Outcome", "decide"]

Outcome = Literal["regressed", "no regression", "improved", "inconclusive"]


@dataclass
class Decision:
    """One SLO's comparative decision and its evidence (gate.json; the report's rows)."""

    slo: str
    measure: str
    objective: str
    unit: str
    kind: str
    outcome: Outcome
    reason: str
    method: str | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    null: float | None = None
    p_value: float | None = None
    min_effect: float | None = None  # in the effect's unit (seconds, share, ratio - 1)
    min_effect_text: str = ""
    worse: int = 0  # +1 higher is worse, -1 lower is worse, 0 either
    n_baseline: int = 0
    n_candidate: int = 0
    baseline_value: float | None = None
    candidate_value: float | None = None
    underpowered: bool = False  # no regression found, but the interval reaches a regression
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in asdict(self).items()}


def _retry_amplification(inside: np.ndarray, outside: np.ndarray, axis: int = -1) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mean(inside, axis=axis) / np.mean(outside, axis=axis)


def _compare(spec: SLOSpec, b: Pooled, c: Pooled, seed: int) -> stats.Comparison:
    rng = rng_for(spec.name, seed)
    if b.kind == "shift":
        return stats.rank_shift(b.values[0], c.values[0], rng=rng)
    if b.kind == "proportion":
        return stats.proportion_diff(b.k, b.n, c.k, c.n)
    if b.kind == "per_run":
        return stats.rank_shift(b.run_values, c.run_values, rng=rng)
    statistic = _retry_amplification if spec.measure == "retry_amplification" else None
    return stats.bootstrap_ratio(b.values, c.values, statistic, rng=rng)


def _effect_text(value: float, kind: str, unit: str) -> str:
    if kind == "proportion":
        return f"{value * 100:+.2f}pp"
    if kind == "ratio":
        return f"x{value:.3f}"
    if unit == "seconds":
        return f"{value * 1000:+.0f}ms" if abs(value) < 1 else f"{value:+.2f}s"
    return f"{value:+.4g}"


def decide(spec: SLOSpec, baseline: Pooled, candidate: Pooled, seed: int = 0,
           min_effect: MinEffect | None = None) -> Decision:
    """Compare one SLO's pooled samples; `min_effect` overrides the measure's default."""
    kind = KINDS[spec.measure]
    effect = min_effect or MIN_EFFECTS[spec.measure]
    worse = direction(spec.op, spec.threshold)
    d = Decision(slo=spec.name, measure=spec.measure, objective=spec.objective, unit=spec.unit,
                 kind=kind, outcome="inconclusive", reason="", worse=worse,
                 min_effect_text=effect.text, n_baseline=baseline.size,
                 n_candidate=candidate.size)
    need = MIN_SAMPLES[kind] if kind == "per_run" else max(MIN_SAMPLES[kind],
                                                            MEASURES[spec.measure].min_n)
    what = "runs" if kind == "per_run" else "samples"
    if min(baseline.size, candidate.size) < need:
        d.reason = (f"too few {what} to decide: baseline {baseline.size}, candidate "
                    f"{candidate.size}, need {need} a side"
                    + (" (add --repeat)" if kind == "per_run" else ""))
        return d
    c = _compare(spec, baseline, candidate, seed)
    d.method, d.estimate, d.ci_low, d.ci_high = c.method, c.estimate, c.ci_low, c.ci_high
    d.null, d.p_value = c.null, c.p_value
    d.baseline_value, d.candidate_value = c.baseline_value, c.candidate_value
    if not all(math.isfinite(x) for x in (c.estimate, c.ci_low, c.ci_high)):
        d.reason = (f"no finite effect (baseline {c.baseline_value:g}, candidate "
                    f"{c.candidate_value:g}): cannot compare")
        return d
    # Effects and the minimum are expressed as a change from "no change" (ratio - 1 too).
    threshold = effect.threshold(c.baseline_value if kind != "ratio" else 1.0)
    if kind == "ratio" and effect.absolute and not effect.relative:
        threshold = effect.absolute / abs(c.baseline_value) if c.baseline_value else math.inf
    d.min_effect = threshold
    est, low, high = c.estimate - c.null, c.ci_low - c.null, c.ci_high - c.null
    shown = _effect_text(c.estimate, kind, spec.unit)
    interval = (f"[{_effect_text(c.ci_low, kind, spec.unit)}, "
                f"{_effect_text(c.ci_high, kind, spec.unit)}]")
    minimum = _effect_text(c.null + threshold, kind, spec.unit) if kind == "ratio" else (
        _effect_text(threshold, kind, spec.unit).lstrip("+"))
    p = f"p={c.p_value:.3g}" if c.p_value is not None else ""

    def side(sign: int) -> bool:
        significant = low > 0 if sign > 0 else high < 0
        return significant and sign * est >= threshold - 1e-12

    bad_sides = (1, -1) if worse == 0 else (worse,)
    if any(side(s) for s in bad_sides):
        d.outcome = "regressed"
        d.reason = (f"worse by {shown} {interval}, {p}: significant and at least the minimum "
                    f"effect {minimum}")
    elif worse != 0 and side(-worse):
        d.outcome = "improved"
        d.reason = f"better by {shown} {interval}, {p}: significant and at least {minimum}"
    else:
        d.outcome = "no regression"
        significant = (low > 0 or high < 0)
        why = (f"significant ({p}) but smaller than the minimum effect {minimum}" if significant
               else f"not significant ({p})")
        d.reason = f"change {shown} {interval}: {why}"
        reach = max(high, -low) if worse == 0 else (high if worse > 0 else -low)
        if reach >= threshold and threshold > 0:
            d.underpowered = True
            d.reason += (f"; the interval still reaches a change of {minimum} or more: more "
                         "requests or --repeat would narrow it")
    return d
