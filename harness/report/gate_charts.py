"""Charts of the gate report: each SLO's two distributions side by side, and its effect.

Left: what each side measured (latencies or per-request values as violins with their
medians, proportions as bars with Wilson intervals, per-run values as dots), the objective as
a dashed line. Right: the effect with its 95% interval against "no change" and the minimum
effect, coloured by the decision. Inline SVG via harness.report.charts (no script, no CDN).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from harness.gate.judge import SLOGate
from harness.report.charts import _RC, OKABE_ITO, _to_svg
from harness.slo.stats import wilson

__all__ = ["slo_chart"]

SIDE_COLOURS = (OKABE_ITO["blue"], OKABE_ITO["vermillion"])
OUTCOME_COLOURS = {"regressed": OKABE_ITO["vermillion"], "improved": OKABE_ITO["green"],
                   "no regression": OKABE_ITO["blue"], "inconclusive": OKABE_ITO["orange"]}
_SCALE = {"ratio": 100.0}  # shares drawn as percentages


def _labels(row: SLOGate) -> list[str]:
    d = row.decision
    return [f"baseline\n(n={d.n_baseline})", f"candidate\n(n={d.n_candidate})"]


def _distributions(ax: plt.Axes, row: SLOGate) -> None:
    kind, unit = row.decision.kind, row.decision.unit
    scale = _SCALE.get(unit, 1.0)
    b, c = row.baseline, row.candidate
    if kind == "proportion":
        for i, side in enumerate((b, c)):
            if side.n == 0:
                continue
            p = side.k / side.n
            low, high = wilson(side.k, side.n)
            ax.barh(i, p * 100, color=SIDE_COLOURS[i], alpha=0.8, height=0.55,
                    hatch="//" if i else None, edgecolor="white")
            xerr = [[max(0.0, (p - low) * 100)], [max(0.0, (high - p) * 100)]]
            ax.errorbar(p * 100, i, xerr=xerr, color="#222222", capsize=4, linewidth=1.2)
            ax.text(p * 100, i + 0.36, f" {p * 100:.2f}%  ({side.k}/{side.n})", fontsize=7.5,
                    va="center")
        lows = [wilson(s.k, s.n)[0] * 100 for s in (b, c) if s.n]
        floor = min([*lows, _objective_line(row) * 100]) if lows else 0.0
        ax.set_xlim(max(0.0, floor - max(1.0, (100 - floor) * 0.15)), 100.0)
        ax.set_xlabel("share of trials (%), zoomed")
    elif kind == "per_run" or not any(v.size for v in b.values + c.values):
        for i, side in enumerate((b, c)):
            values = np.asarray(side.run_values, dtype=float) * scale
            ax.plot(values, np.full(values.size, i), linestyle="none", color=SIDE_COLOURS[i],
                    markersize=7, alpha=0.85, marker="o" if i == 0 else "D")
        ax.set_xlabel("value of each run")
    else:
        data = [np.asarray(side.values[0], dtype=float) * scale for side in (b, c)]
        shown = [d if d.size else np.array([np.nan]) for d in data]
        positive = all(d.size and np.nanmin(d) > 0 for d in data)
        if positive and np.nanmax(np.concatenate(data)) / np.nanmin(np.concatenate(data)) > 30:
            ax.set_xscale("log")
        parts = ax.violinplot([s[np.isfinite(s)] if np.isfinite(s).any() else [0.0]
                               for s in shown], positions=[0, 1], orientation="horizontal",
                              widths=0.8, showmedians=True, showextrema=False)
        for i, body in enumerate(parts["bodies"]):
            body.set_facecolor(SIDE_COLOURS[i])
            body.set_edgecolor(SIDE_COLOURS[i])
            body.set_alpha(0.55)
            if i:
                body.set_hatch("//")
        parts["cmedians"].set_color("#222222")
        for i, d in enumerate(data):
            if d.size:
                ax.text(float(np.median(d)), i + 0.42, f" median {_short(np.median(d), unit)}",
                        fontsize=7.5, va="center")
        ax.set_xlabel({"seconds": "latency (s)", "usd": "USD per request"}.get(
            unit, "value per request"))
    if kind in ("proportion", "per_run") or row.decision.measure.startswith("latency"):
        threshold = _objective_line(row) * (scale if kind != "proportion" else 100.0)
        if threshold is not None:
            ax.axvline(threshold, color="#444444", linestyle="--", linewidth=1)
            ax.text(threshold, 1.62, f" objective {row.decision.objective}", fontsize=7.5,
                    va="top", color="#444444")
    ax.set_yticks([0, 1], _labels(row))
    ax.set_ylim(-0.6, 1.75)
    ax.invert_yaxis()


def _objective_line(row: SLOGate) -> float:
    from harness.slo import parse_slo

    return parse_slo(row.slo, row.decision.objective).threshold


def _short(value: float, unit: str) -> str:
    if unit == "seconds":
        return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.2f}s"
    if unit == "usd":
        return f"${value:.4f}"
    return f"{value:.3g}"


def _effect(ax: plt.Axes, row: SLOGate) -> None:
    d = row.decision
    ax.set_yticks([])
    ax.set_title("effect (candidate vs baseline)", fontsize=8.5, loc="left")
    if d.estimate is None or d.ci_low is None or d.ci_high is None or d.null is None:
        ax.text(0.5, 0.5, "no comparison:\n" + d.outcome, ha="center", va="center",
                transform=ax.transAxes, fontsize=8)
        ax.set_xticks([])
        return
    scale = 100.0 if d.kind == "proportion" else 1.0
    null, est = d.null * scale, d.estimate * scale
    low, high = d.ci_low * scale, d.ci_high * scale
    minimum = (d.min_effect or 0.0) * scale
    colour = OUTCOME_COLOURS[d.outcome]
    bad = [1, -1] if d.worse == 0 else [d.worse]
    for sign in bad:
        edge = null + sign * minimum
        far = edge + sign * max(abs(high - low), minimum, 1e-9) * 3
        ax.axvspan(min(edge, far), max(edge, far), color=OKABE_ITO["vermillion"], alpha=0.12,
                   hatch="xx", linewidth=0)
    ax.axvline(null, color="#222222", linewidth=1)
    ax.errorbar([est], [0], xerr=[[est - low], [high - est]], fmt="o", color=colour,
                capsize=6, linewidth=2, markersize=7)
    span = max(abs(high - null), abs(low - null), minimum, 1e-9) * 1.3
    ax.set_xlim(null - span, null + span)
    ax.set_ylim(-1, 1)
    unit = {"proportion": "pp", "ratio": "× baseline"}.get(d.kind, "")
    if d.kind in ("shift", "per_run") and d.unit == "seconds":
        unit = "s"
    ax.set_xlabel(f"{'difference' if d.kind != 'ratio' else 'ratio'} ({unit or d.unit})")
    ax.text(0.98, 0.06, "shaded: worse by the\nminimum effect or more", transform=ax.transAxes,
            fontsize=6.5, ha="right", va="bottom", color="#555555")
    ax.text(0.02, 0.92, d.outcome.upper(), transform=ax.transAxes, color=colour,
            fontsize=9, fontweight="bold", va="top")


def slo_chart(chart_id: str, row: SLOGate) -> str:
    """One SLO of one scenario: distributions (left) and effect (right), as inline SVG."""
    with plt.rc_context(_RC):
        fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 2.5),
                                          gridspec_kw={"width_ratios": [2.3, 1]})
        _distributions(left, row)
        left.set_title(f"{row.slo}: baseline and candidate", loc="left", fontsize=10,
                       fontweight="bold")
        _effect(right, row)
        fig.subplots_adjust(wspace=0.25)
        svg = _to_svg(fig, chart_id)
    return svg
