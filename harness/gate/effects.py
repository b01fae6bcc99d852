"""What the gate compares for each SLO measure, and the smallest change that matters.

Kinds (how a measure is compared, see docs/gate.md):
  shift       per-request values (latency): Mann-Whitney U, Hodges-Lehmann shift in seconds
  proportion  k of n trials (availability, error rate, leak rate, cache hit ratio, ...):
              difference of proportions, in percentage points
  ratio       per-request values (cost, LLM calls): bootstrap of the ratio of means
  per_run     one value per run (recovery time, throughput, ...): Mann-Whitney U over the runs'
              values, Hodges-Lehmann shift; needs repeats

A regression must be statistically significant (the 95% interval excludes "no change" on the
bad side) and practically significant: at least the measure's minimum effect below. A scenario
overrides it per SLO in `gate.min_effect`, e.g. `{latency_p95: 250ms, availability: 1pp}`.
This module is plain Python (no scipy), so the scenario schema can use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["KINDS", "MIN_EFFECTS", "MIN_SAMPLES", "Kind", "MinEffect", "direction",
           "measure_of", "parse_min_effect"]

Kind = Literal["shift", "proportion", "ratio", "per_run"]

KINDS: dict[str, Kind] = {
    "latency_p50": "shift", "latency_p90": "shift", "latency_p95": "shift",
    "latency_p99": "shift",
    "availability": "proportion", "error_rate": "proportion", "degraded_rate": "proportion",
    "error_budget_remaining": "proportion", "cache_hit_ratio": "proportion",
    "leaks": "proportion", "unauthorized_tool_calls": "proportion",
    "blocked_tool_calls": "proportion", "residency_violations": "proportion",
    "cost_per_request": "ratio", "cost_per_1k_requests": "ratio", "cost_per_hour": "ratio",
    "llm_calls_per_request": "ratio", "retry_amplification": "ratio",
    "requests": "per_run", "throughput": "per_run", "burn_rate": "per_run",
    "max_llm_calls_per_request": "per_run", "recovery_time": "per_run",
    "time_to_detect": "per_run",
}

# Fewest samples per side before the gate decides (below: inconclusive). Requests (or trials,
# for proportions) pooled over repeats; runs for per_run measures: with 4 runs a side the exact
# Mann-Whitney test can reach p < 0.05 at all, with 3 it cannot.
MIN_SAMPLES: dict[Kind, int] = {"shift": 20, "proportion": 10, "ratio": 20, "per_run": 4}


@dataclass(frozen=True)
class MinEffect:
    """The smallest change that counts: `absolute` (in the compared quantity's unit: seconds,
    a share 0..1, the measure's unit for ratios) and/or `relative` (a share of the baseline's
    value). Both given: the larger one applies."""

    absolute: float | None = None
    relative: float | None = None
    text: str = ""

    def threshold(self, baseline_value: float) -> float:
        """The minimum effect in the compared quantity's unit, for this baseline value."""
        parts = [self.absolute or 0.0, (self.relative or 0.0) * abs(baseline_value)]
        return max(parts)


def _e(text: str, absolute: float | None = None, relative: float | None = None) -> MinEffect:
    return MinEffect(absolute, relative, text)


_PP_1, _PP_HALF, _PP_2 = _e("1pp", 0.01), _e("0.5pp", 0.005), _e("2pp", 0.02)
_ANY = _e("any", 0.0)
_TEN = _e("10%", relative=0.10)
# Documented defaults (docs/gate.md has the table and the reasons).
MIN_EFFECTS: dict[str, MinEffect] = {
    **{m: _e("10% of the baseline median, at least 50ms", 0.05, 0.10)
       for m in ("latency_p50", "latency_p90", "latency_p95", "latency_p99")},
    "availability": _PP_HALF, "error_rate": _PP_HALF, "error_budget_remaining": _PP_HALF,
    "degraded_rate": _PP_2, "cache_hit_ratio": _PP_2, "blocked_tool_calls": _PP_2,
    "leaks": _ANY, "unauthorized_tool_calls": _ANY, "residency_violations": _ANY,
    "cost_per_request": _TEN, "cost_per_1k_requests": _TEN, "cost_per_hour": _TEN,
    "llm_calls_per_request": _TEN, "retry_amplification": _TEN,
    "requests": _TEN, "throughput": _TEN, "burn_rate": _TEN,
    "max_llm_calls_per_request": _e("1", 1.0),
    "recovery_time": _e("10% of the baseline, at least 1s", 1.0, 0.10),
    "time_to_detect": _e("10% of the baseline, at least 1s", 1.0, 0.10),
}

_NAME = re.compile(r"^\s*([a-z0-9_]+)\s*(?:\[.*\])?\s*$")
_VALUE = re.compile(r"^\s*(\$)?\s*(\d+\.?\d*|\.\d+)\s*(ms|s|m|%|pp|x)?\s*$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0}
FORMS: dict[Kind, str] = {
    "shift": "a time (250ms, 0.5s) or a share of the baseline (10%)",
    "proportion": "percentage points (0.5pp) or a share of the baseline proportion (10%)",
    "ratio": "a share of the baseline mean (10%)",
    "per_run": "a share of the baseline (10%), or a value in the measure's unit (2s, 5)",
}


def measure_of(slo_name: str) -> str | None:
    """The measure of an SLO name (`latency_p95[tenant=acme]` -> latency_p95), if known."""
    match = _NAME.match(str(slo_name))
    return match.group(1) if match and match.group(1) in KINDS else None


def parse_min_effect(measure: str, text: str | float) -> MinEffect:
    """Parse a `gate.min_effect` value for `measure`; ValueError names the allowed forms."""
    kind = KINDS[measure]
    raw = str(text)
    match = _VALUE.match(raw)
    if not match:
        raise ValueError(f"min_effect for {measure}: cannot read {raw!r}; use {FORMS[kind]}")
    dollar, number, unit = match.groups()
    value = float(number)
    if unit == "%":
        return MinEffect(relative=value / 100.0, text=raw.strip())
    if kind == "shift" or (kind == "per_run" and unit in _SECONDS):
        if unit not in _SECONDS:
            raise ValueError(f"min_effect for {measure}: {raw!r} needs a time unit; "
                             f"use {FORMS[kind]}")
        return MinEffect(absolute=value * _SECONDS[unit], text=raw.strip())
    if kind == "proportion":
        if unit != "pp":
            raise ValueError(f"min_effect for {measure}: {raw!r} is not percentage points; "
                             f"use {FORMS[kind]}")
        return MinEffect(absolute=value / 100.0, text=raw.strip())
    if kind == "ratio" or unit is not None or dollar:
        raise ValueError(f"min_effect for {measure}: {raw!r} does not fit; use {FORMS[kind]}")
    return MinEffect(absolute=value, text=raw.strip())


def direction(op: str, threshold: float) -> int:
    """Which way is worse for an objective: +1 higher (<=, <, == 0), -1 lower (>=, >),
    0 any change (== another value)."""
    if op in ("<=", "<") or (op == "==" and threshold == 0):
        return 1
    if op in (">=", ">"):
        return -1
    return 0
