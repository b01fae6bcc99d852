"""Per-SLO samples of one run, in the form the gate's tests need, pooled over repeats.

The catalogue (harness.slo.catalogue) computes one value per run; the gate needs what that
value rests on: per-request latencies, k of n trials, per-request costs. Each sample here is
monotone in the SLO's own value (more failures, more cost, more latency: a larger sample
value), so the objective's direction says which way is worse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from harness.gate.effects import KINDS
from harness.measure import RunData
from harness.slo import SLOSpec
from harness.slo.catalogue import CATALOGUE, Context
from harness.slo.scope import PHASES, Scope
from harness.slo.stats import rng_for

__all__ = ["Pooled", "RunSamples", "run_samples"]


@dataclass
class Pooled:
    """One side's sample for one SLO, pooled over that side's runs."""

    kind: str
    values: list[np.ndarray] = field(default_factory=list)  # shift, ratio (per sample group)
    k: int = 0  # proportion
    n: int = 0
    run_values: list[float] = field(default_factory=list)  # per_run (and context for all)

    def add(self, other: Pooled) -> None:
        if not self.values:
            self.values = [np.zeros(0) for _ in other.values]
        self.values = [np.concatenate([a, b]) for a, b in zip(self.values, other.values,
                                                              strict=True)]
        self.k += other.k
        self.n += other.n
        self.run_values += other.run_values

    @property
    def size(self) -> int:
        if self.kind == "proportion":
            return self.n
        if self.kind == "per_run":
            return len(self.run_values)
        return min((v.size for v in self.values), default=0)


RunSamples = dict[str, Pooled]


def _latency(scope: Scope, spec: SLOSpec) -> np.ndarray:
    """Latencies the percentile rests on: answered requests, plus those in flight at the end
    that had already waited past an upper bound (as the catalogue counts them)."""
    values = scope.latency_s[scope.mask(spec.filters)]
    values = values[~np.isnan(values)]
    if spec.op in ("<=", "<") and not scope.data.in_flight.empty:
        pending = scope.in_flight
        waited = pending.latency_s[pending.mask(spec.filters)]
        late = waited[waited > spec.threshold if spec.op == "<=" else waited >= spec.threshold]
        values = np.concatenate([values, late])
    return values


def _cost(scope: Scope, spec: SLOSpec) -> np.ndarray:
    mask = scope.mask(spec.filters)
    n = int(mask.sum())
    cost = scope.cost[mask]
    if n and not spec.filters:
        cost = cost + scope.orphan_cost / n  # unmatched ledger rows, as the catalogue adds
    if spec.measure == "cost_per_hour":
        period = scope.period_s(spec.filters)
        cost = cost * (n / period * 3600.0) if period > 0 else cost[:0]
    return cost


def _sample(scope: Scope, spec: SLOSpec, ctx: Context) -> Pooled:
    kind = KINDS[spec.measure]
    m = CATALOGUE[spec.measure](scope, spec, ctx)
    pooled = Pooled(kind, run_values=[] if m.value is None else [float(m.value)])
    if kind == "shift":
        pooled.values = [_latency(scope, spec)]
    elif kind == "ratio":
        mask = scope.mask(spec.filters)
        if spec.measure == "retry_amplification":
            faults = scope.phase == PHASES.index("faults")
            calls = scope.calls.astype(float)
            pooled.values = [calls[mask & faults], calls[mask & ~faults]]
        elif spec.measure == "llm_calls_per_request":
            pooled.values = [scope.calls[mask].astype(float)]
        else:
            pooled.values = [_cost(scope, spec)]
    elif kind == "proportion" and m.value is not None:
        pooled.n = int(m.n)
        if spec.measure == "error_budget_remaining":
            pooled.k = pooled.n - int(m.detail.get("failed", 0))  # ok requests
        elif spec.unit == "ratio":
            pooled.k = round(m.value * m.n)
        else:  # a count of bad items among n (leaks, violations, refused tool calls)
            pooled.k = round(m.value)
    return pooled


def run_samples(data: RunData, specs: list[SLOSpec], seed: int = 0) -> RunSamples:
    """SLO name -> this run's sample, for every SLO the gate knows how to compare."""
    scope = Scope.build(data)
    ctx = Context(availability_target=_availability_target(specs),
                  rng_for=lambda key: rng_for(key, seed))
    return {s.name: _sample(scope, s, ctx) for s in specs if s.measure in KINDS}


def _availability_target(specs: list[SLOSpec]) -> float | None:
    ordered = sorted((s for s in specs if s.measure == "availability" and s.op in (">=", ">")),
                     key=lambda s: bool(s.selector))
    return ordered[0].threshold if ordered and ordered[0].threshold < 1.0 else None
