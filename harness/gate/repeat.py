"""`harness run --repeat N`: pass^N and a t-interval across runs for each SLO.

Agents are nondeterministic, so one green run says little. With N runs of a scenario (seeds
S, S+1, ...) a profile passes^N when every run met every SLO (tau-bench's pass^k); per SLO we
show each run's value and a 95% Student-t interval of the mean across runs (scipy).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["RepeatRow", "Repeated", "aggregate", "repeat_markdown", "t_interval"]


def t_interval(values: Iterable[float], level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Student-t interval of the mean; NaN bounds with fewer than 2 values."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    sem = float(stats.sem(x))
    if sem == 0:
        return mean, mean, mean
    low, high = stats.t.interval(level, df=x.size - 1, loc=mean, scale=sem)
    return mean, float(low), float(high)


@dataclass
class RepeatRow:
    slo: str
    objective: str
    unit: str
    values: list[float | None]
    verdicts: list[str]
    mean: float
    low: float
    high: float

    @property
    def passed(self) -> int:
        return sum(v == "pass" for v in self.verdicts)

    @property
    def verdict(self) -> str:
        """pass^N: pass when every run passed; fail when any failed; else inconclusive."""
        if "fail" in self.verdicts:
            return "fail"
        return "pass" if self.verdicts and self.passed == len(self.verdicts) else "inconclusive"


@dataclass
class Repeated:
    """N runs of one scenario with one profile."""

    scenario: str
    title: str
    profile: str
    runs: list[dict[str, Any]]  # seed, verdict, run_dir
    rows: list[RepeatRow] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(r["verdict"] == "pass" for r in self.runs)

    @property
    def verdict(self) -> str:
        verdicts = [r["verdict"] for r in self.runs]
        if "fail" in verdicts:
            return "fail"
        return "pass" if verdicts and all(v == "pass" for v in verdicts) else "inconclusive"

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "profile": self.profile, "verdict": self.verdict,
                "pass_k": f"{self.passed}/{len(self.runs)}", "runs": self.runs,
                "slos": [{"slo": r.slo, "objective": r.objective, "values": r.values,
                          "verdicts": r.verdicts, "mean": _finite(r.mean),
                          "t_low": _finite(r.low), "t_high": _finite(r.high),
                          "verdict": r.verdict} for r in self.rows]}


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def aggregate(results: Iterable[Any]) -> list[Repeated]:
    """Group run results (anything with scenario, profile, verdict, slos, run_dir) by scenario
    and profile, in the order first seen, and aggregate each SLO across the group's runs."""
    groups: dict[tuple[str, str], Repeated] = {}
    values: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for r in results:
        key = (r.scenario.name, r.profile)
        group = groups.setdefault(key, Repeated(r.scenario.name, r.scenario.title, r.profile,
                                                []))
        seed = _seed(r.run_dir)
        group.runs.append({"seed": seed, "verdict": r.verdict, "run_dir": str(r.run_dir)})
        per_slo = values.setdefault(key, {})
        for slo in r.slos:
            per_slo.setdefault(slo["name"], []).append(slo)
    for key, group in groups.items():
        for name, rows in values[key].items():
            vals = [row.get("value") for row in rows]
            mean, low, high = t_interval(v for v in vals if v is not None)
            group.rows.append(RepeatRow(name, rows[0]["objective"], rows[0].get("unit", ""),
                                        vals, [row["verdict"] for row in rows], mean, low, high))
    return list(groups.values())


def _seed(run_dir: Path) -> int | None:
    import json

    try:
        return json.loads((Path(run_dir) / "run.json").read_text()).get("seed")
    except (OSError, ValueError):
        return None


def repeat_markdown(groups: list[Repeated]) -> str:
    """A Markdown section: pass^N per scenario and profile, per SLO the values and interval."""
    from harness.units import slo_value

    lines = ["## Repeats", ""]
    for g in groups:
        n = len(g.runs)
        lines += [f"### {g.title} ({g.profile}): pass^{n} {g.verdict.upper()} "
                  f"({g.passed}/{n} runs passed)", "",
                  "| SLO | objective | per run | mean [95% t-interval] | runs met | pass^N |",
                  "|---|---|---|---:|---:|---|"]
        for r in g.rows:
            per_run = ", ".join(slo_value(v, r.unit) for v in r.values)
            interval = (f"{slo_value(r.mean, r.unit)} [{slo_value(r.low, r.unit)}, "
                        f"{slo_value(r.high, r.unit)}]")
            lines.append(f"| `{r.slo}` | `{r.objective}` | {per_run} | {interval} | "
                         f"{r.passed}/{len(r.verdicts)} | {r.verdict.upper()} |")
        lines.append("")
    return "\n".join(lines)
