"""The charts of a run report and of a comparison, from `RunView`s."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.report import charts
from harness.report.charts import Series, WindowSet
from harness.report.view import RunView
from harness.units import pct, usd


@dataclass(frozen=True)
class Figure:
    id: str
    title: str
    caption: str
    svg: str


def _x(view: RunView) -> np.ndarray:
    assert view.timeline is not None
    return view.timeline.frame.index.to_numpy(dtype=float)


def _col(view: RunView, column: str, scale: float = 1.0) -> np.ndarray:
    assert view.timeline is not None
    return view.timeline.frame[column].to_numpy(dtype=float) * scale


def _step_note(view: RunView) -> str:
    assert view.timeline is not None
    return f"per {view.timeline.step_s:g} s bucket"


def run_figures(view: RunView) -> list[Figure]:
    """Timelines, each with every fault window shaded and labelled, then the histogram."""
    figures: list[Figure] = []
    if view.timeline is not None:
        wins = [WindowSet(view.windows)]
        x, xmax, note = _x(view), view.duration_s, _step_note(view)
        shown = {m.kind for m in view.stack_marks}
        marks_note = "".join(text for kind, text in (
            ("crash", "; solid line: a process crashed or was killed"),
            ("restart", "; dashed line: it restarted")) if kind in shown)
        specs = [
            ("rps", "Requests per second", "req/s",
             [Series("all", x, _col(view, "rps")), Series("failed", x, _col(view, "failed_ps"))],
             None),
            ("errors", "Error rate", "errors",
             [Series("error rate", x, _col(view, "error_rate"))], lambda v: pct(v, 0)),
            ("latency", "Latency p50 / p95 / p99", "seconds",
             [Series("p50", x, _col(view, "p50", 1e-3)), Series("p95", x, _col(view, "p95", 1e-3)),
              Series("p99", x, _col(view, "p99", 1e-3))], None),
            ("llm", "LLM calls per second", "calls/s",
             [Series("LLM calls/s", x, _col(view, "llm_calls_ps"))], None),
            ("cost", "Cost per hour (projected from each bucket)", "USD/h",
             [Series("cost/h", x, _col(view, "cost_per_hour"))], usd),
        ]
        for chart_id, title, ylabel, series, yfmt in specs:
            svg = charts.line_chart(f"{chart_id}", title, ylabel, series, wins, yfmt, xmax,
                                    view.stack_marks)
            figures.append(Figure(chart_id, title, f"{title}, {note}; shaded: fault windows"
                                  f"{marks_note}.", svg))
    if view.histogram is not None:
        svg = charts.histogram_chart("histogram", "Latency histogram", view.histogram)
        figures.append(Figure("histogram", "Latency histogram",
                              "Requests by latency (log scale), failed ones stacked on top.", svg))
    return figures


def compare_figures(a: RunView, b: RunView) -> list[Figure]:
    """Both runs overlaid on a common axis (seconds since each run's own start)."""
    if a.timeline is None and b.timeline is None:
        return []
    both = [("A", a), ("B", b)]
    present = [(p, v) for p, v in both if v.timeline is not None]
    wins = [WindowSet(v.windows, f"{p}: ") for p, v in both]
    xmax = max(a.duration_s, b.duration_s)
    specs = [
        ("cmp-rps", "Requests per second", "req/s", "rps", 1.0, None),
        ("cmp-errors", "Error rate", "errors", "error_rate", 1.0, lambda v: pct(v, 0)),
        ("cmp-p95", "Latency p95", "seconds", "p95", 1e-3, None),
        ("cmp-p99", "Latency p99", "seconds", "p99", 1e-3, None),
        ("cmp-llm", "LLM calls per second", "calls/s", "llm_calls_ps", 1.0, None),
        ("cmp-cost", "Cost per hour", "USD/h", "cost_per_hour", 1.0, usd),
    ]
    figures = []
    for chart_id, title, ylabel, column, scale, yfmt in specs:
        series = [Series(f"{p} ({v.profile or v.name})", _x(v), _col(v, column, scale))
                  for p, v in present]
        svg = charts.line_chart(chart_id, title, ylabel, series, wins, yfmt, xmax)
        figures.append(Figure(chart_id, title, f"{title}: A solid, B dashed; shaded: fault "
                              "windows of each run.", svg))
    return figures
