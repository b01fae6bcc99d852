"""`render_run(run_dir)`: one self-contained report.html per run directory."""

from __future__ import annotations

from pathlib import Path

from harness.errors import UsageError
from harness.report._atomic import write_atomic
from harness.report.figures import run_figures
from harness.report.templating import render_template
from harness.report.view import RunView, load_view

REPORT_NAME = "report.html"


def render_view(view: RunView) -> str:
    """The HTML text of one run's report."""
    return render_template("report.html.j2", view=view, figures=run_figures(view))


def render_run(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Render `run_dir/report.html` (or `out`) atomically and return its path.

    Works on partial runs: a run killed before slo.json, or with no record at all, still gets
    a report that says what is missing.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir}: not a run directory")
    target = Path(out) if out is not None else run_dir / REPORT_NAME
    return write_atomic(target, render_view(load_view(run_dir)))
