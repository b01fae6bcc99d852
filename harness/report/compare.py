"""`render_compare(run_a, run_b, out)`: two runs side by side, SLO deltas, overlaid timelines.

For naive vs hardened, or before vs after a change. Deltas are B − A.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.atomic import write_atomic
from harness.errors import UsageError
from harness.report.figures import compare_figures
from harness.report.templating import render_template
from harness.report.view import RunView, SLORow, load_view
from harness.units import DASH, num, pct, seconds, slo_value, usd


@dataclass(frozen=True)
class SLODelta:
    name: str
    a: SLORow | None
    b: SLORow | None
    delta: str
    direction: str  # "better" | "worse" | "same" | ""


def _fmt_delta(d: float, unit: str) -> str:
    u = unit.strip().lower()
    if u in ("ratio", "fraction", "%", "percent", "share"):
        return f"{d * 100:+.3g} pp"
    sign = "+" if d >= 0 else "−"
    if u in ("s", "sec", "second", "seconds"):
        return sign + seconds(abs(d))
    if u.startswith("usd") or u.startswith("$"):
        return sign + usd(abs(d))
    if u == "per_second":
        return f"{sign}{num(abs(d))}/s"
    if u in ("count", "number", ""):
        return f"{sign}{num(abs(d))}"
    return f"{sign}{num(abs(d))} {unit}"


def _direction(op: str | None, d: float) -> str:
    if d == 0:
        return "same"
    if op in (">=", ">"):
        return "better" if d > 0 else "worse"
    if op in ("<=", "<", "=="):
        return "better" if d < 0 else "worse"
    return ""


def slo_deltas(a: RunView, b: RunView) -> list[SLODelta]:
    """One row per SLO name found in either run, in A's order then B's new ones."""
    rows_a = {r.name: r for r in a.slo_rows}
    rows_b = {r.name: r for r in b.slo_rows}
    names = list(rows_a) + [n for n in rows_b if n not in rows_a]
    out = []
    for name in names:
        ra, rb = rows_a.get(name), rows_b.get(name)
        delta, direction = DASH, ""
        if ra and rb and ra.value is not None and rb.value is not None:
            d = rb.value - ra.value
            delta = _fmt_delta(d, ra.unit)
            direction = _direction(ra.op or rb.op, d)
        out.append(SLODelta(name, ra, rb, delta, direction))
    return out


def _totals_rows(a: RunView, b: RunView) -> list[tuple[str, str, str]]:
    ta, tb = a.totals, b.totals
    amp = [v.amplification["ratio"] if v.amplification else None for v in (a, b)]
    rows: list[tuple[str, Any, Any, Any]] = [
        ("requests", num, ta["requests"], tb["requests"]),
        ("error rate", pct, ta["error_rate"], tb["error_rate"]),
        ("latency p50", slo_ms, ta["p50"], tb["p50"]),
        ("latency p95", slo_ms, ta["p95"], tb["p95"]),
        ("latency p99", slo_ms, ta["p99"], tb["p99"]),
        ("LLM calls / request", num, ta["llm_calls_per_request"], tb["llm_calls_per_request"]),
        ("retry amplification", num, amp[0], amp[1]),
        ("cost", usd, ta["cost_usd"], tb["cost_usd"]),
        ("cost / request", usd, ta["cost_per_request"], tb["cost_per_request"]),
        ("leaking replies", num, a.leak_count, b.leak_count),
    ]
    return [(label, f(va), f(vb)) for label, f, va, vb in rows]


def slo_ms(value: Any) -> str:
    return slo_value(None if value is None else value / 1000.0, "s")


def render_compare(run_a: str | Path, run_b: str | Path, out: str | Path) -> Path:
    """Render the comparison of two run directories to `out` (atomically); return its path."""
    for run in (run_a, run_b):
        if not Path(run).is_dir():
            raise UsageError(f"{run}: not a run directory")
    a, b = load_view(run_a), load_view(run_b)
    html = render_template(
        "compare.html.j2", a=a, b=b, deltas=slo_deltas(a, b), totals=_totals_rows(a, b),
        figures=compare_figures(a, b),
    )
    return write_atomic(Path(out), html)
