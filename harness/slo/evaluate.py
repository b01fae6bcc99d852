"""Evaluate parsed SLOs over a run and decide verdicts; write `slo.json`.

Verdicts (per SLO):
  default  pass iff the value meets the objective.
  strict   pass iff the whole 95% interval meets it, fail iff the whole interval misses it.
  Either mode: "inconclusive" when there is no value, or the sample is smaller than the
  measure's documented minimum (`MEASURES[m].min_n`; n == 0 always, except for `requests`).
  Missing data is never a pass: a record file the measure needs that the run lacks, or a
  ledger / tool log none of whose rows matches a request where the measure needs that join,
  makes the SLO inconclusive without measuring, its `detail.reason` saying which.
  A measure may fail on its own terms (recovery_time when the run never recovered).
Overall: fail if any SLO fails, else inconclusive if any is (or there are none), else pass.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from harness.atomic import write_atomic
from harness.measure import RunData
from harness.slo.catalogue import Context, Measurement
from harness.slo.registry import MEASURES, MeasureInfo
from harness.slo.scope import Scope
from harness.slo.spec import Op, SLOSpec, parse_slo
from harness.slo.stats import rng_for

__all__ = ["SLOReport", "SLOResult", "Verdict", "evaluate", "meets"]

Verdict = Literal["pass", "fail", "inconclusive"]
_BUDGET_MEASURES = {"availability", "error_rate", "degraded_rate"}


@dataclass
class SLOResult:
    """One SLO's outcome; field names and units are the slo.json contract."""

    name: str
    measure: str
    selector: dict[str, str]
    objective: str
    op: str
    threshold: float
    unit: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    verdict: Verdict
    budget_remaining: float | None
    description: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class SLOReport:
    verdict: Verdict
    strict: bool
    slos: list[SLOResult]

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "strict": self.strict,
                "slos": [_clean(asdict(r)) for r in self.slos]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def write(self, run_dir: str | Path) -> Path:
        """Write `slo.json` into `run_dir` and return its path."""
        return write_atomic(Path(run_dir) / "slo.json", self.to_json() + "\n")


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/inf become null, numpy scalars become Python ones."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def meets(value: float, op: Op | str, threshold: float) -> bool:
    """Does `value` meet `op threshold`? Tolerates float noise (0.999 vs 99.9/100)."""
    tol = 1e-9 * max(1.0, abs(threshold))
    if op == ">=":
        return value >= threshold - tol
    if op == "<=":
        return value <= threshold + tol
    if op == ">":
        return value > threshold + tol
    if op == "<":
        return value < threshold - tol
    return abs(value - threshold) <= tol


def _verdict(spec: SLOSpec, m: Measurement, strict: bool) -> Verdict:
    if m.failed:
        return "fail"
    info = MEASURES[spec.measure]
    if m.value is None or not math.isfinite(m.value):
        return "inconclusive"
    if (m.n == 0 and info.empty_is_inconclusive) or m.n < info.min_n:
        return "inconclusive"
    if not strict:
        return "pass" if meets(m.value, spec.op, spec.threshold) else "fail"
    low = m.value if m.ci_low is None or math.isnan(m.ci_low) else m.ci_low
    high = m.value if m.ci_high is None or math.isnan(m.ci_high) else m.ci_high
    low_ok, high_ok = meets(low, spec.op, spec.threshold), meets(high, spec.op, spec.threshold)
    if low_ok and high_ok:
        return "pass"
    straddles = spec.op == "==" and low <= spec.threshold <= high
    if not low_ok and not high_ok and not straddles:
        return "fail"
    return "inconclusive"


_FILES = {
    "requests": "request records (requests.jsonl)",
    "llm_calls": "LLM ledger (llm_calls.jsonl)",
    "tool_calls": "tool log (tool_calls.jsonl)",
    "alerts": "alerts.jsonl (the run had no Prometheus)",
}


def _missing_data(info: MeasureInfo, spec: SLOSpec, scope: Scope) -> str | None:
    """Why the run cannot decide this SLO at all, or None when it has the data."""
    data = scope.data
    for record in info.needs:
        if record not in data.present or (record == "alerts" and data.alerts is None):
            return f"no {_FILES[record]} in the run"
    if info.joins is not None and (spec.filters or not info.orphans):
        rows, joined = scope.joined(info.joins)
        if rows and not joined:
            return (f"none of the {rows} rows of the {_FILES[info.joins]} matches a request "
                    "(correlation_id = request_id): the agent did not pass its request id on")
    return None


def _budget_remaining(spec: SLOSpec, value: float | None) -> float | None:
    """Share of the error budget left, for ratio objectives of availability-like measures."""
    if value is None or spec.measure not in _BUDGET_MEASURES:
        return None
    if spec.measure == "availability" and spec.op in (">=", ">"):
        budget, spent = 1.0 - spec.threshold, 1.0 - value
    elif spec.measure != "availability" and spec.op in ("<=", "<"):
        budget, spent = spec.threshold, value
    else:
        return None
    if budget <= 0:
        return None
    return 1.0 - spent / budget


def _availability_target(specs: list[SLOSpec]) -> float | None:
    """The objective of the set's availability SLO: unselected first, else the first one."""
    candidates = [s for s in specs if s.measure == "availability" and s.op in (">=", ">")]
    candidates.sort(key=lambda s: bool(s.selector))
    if not candidates or candidates[0].threshold >= 1.0:
        return None
    return candidates[0].threshold


def _as_specs(specs: Iterable[SLOSpec] | Mapping[str, str]) -> list[SLOSpec]:
    if isinstance(specs, Mapping):
        return [parse_slo(name, objective) for name, objective in specs.items()]
    return list(specs)


def measure_one(spec: SLOSpec, scope: Scope, ctx: Context) -> Measurement:
    """One SLO's measurement, or no value with the reason when the data it needs is missing
    (the release gate measures through here too)."""
    info = MEASURES[spec.measure]
    reason = _missing_data(info, spec, scope)
    if reason is not None:
        return Measurement(None, None, None, 0, {"reason": reason})
    return info.fn(scope, spec, ctx)


def evaluate(
    specs: Iterable[SLOSpec] | Mapping[str, str],
    data: RunData,
    strict: bool = False,
    seed: int = 0,
) -> SLOReport:
    """Measure every SLO over `data` and decide. `specs` may be `{name: objective}`.

    `seed` seeds the bootstrap (per SLO name), so the same run always gives the same report.
    """
    spec_list = _as_specs(specs)
    scope = Scope.build(data)
    ctx = Context(availability_target=_availability_target(spec_list),
                  rng_for=lambda key: rng_for(key, seed))
    results: list[SLOResult] = []
    for spec in spec_list:
        m = measure_one(spec, scope, ctx)
        results.append(SLOResult(
            name=spec.name, measure=spec.measure, selector=dict(spec.selector),
            objective=spec.objective, op=spec.op, threshold=spec.threshold, unit=spec.unit,
            value=m.value, ci_low=m.ci_low, ci_high=m.ci_high, n=m.n,
            verdict=_verdict(spec, m, strict),
            budget_remaining=_budget_remaining(spec, m.value),
            description=MEASURES[spec.measure].description, detail=_clean(m.detail),
        ))
    verdicts = {r.verdict for r in results}
    overall: Verdict = ("fail" if "fail" in verdicts
                        else "inconclusive" if "inconclusive" in verdicts or not results
                        else "pass")
    return SLOReport(verdict=overall, strict=strict, slos=results)
