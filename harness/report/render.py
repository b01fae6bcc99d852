"""`render_run(run_dir)`: one self-contained report.html per run directory.

The runner, which already holds the run's records and SLO report, hands them over
(`render_run(run_dir, data=data, slo=report)`); `harness report` reads the directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.atomic import write_atomic
from harness.errors import UsageError
from harness.report.figures import run_figures
from harness.report.templating import render_template
from harness.report.view import RunView, build_view, load_view, with_slo

if TYPE_CHECKING:
    from collections.abc import Mapping

    from harness.measure import RunData
    from harness.slo import SLOReport

REPORT_NAME = "report.html"


def render_view(view: RunView) -> str:
    """The HTML text of one run's report."""
    return render_template("report.html.j2", view=view, figures=run_figures(view))


def render_run(
    run_dir: str | Path,
    out: str | Path | None = None,
    *,
    data: RunData | None = None,
    slo: SLOReport | Mapping[str, Any] | None = None,
) -> Path:
    """Render `run_dir/report.html` (or `out`) atomically and return its path.

    `data` (the run's records in memory) and `slo` (its SLO report) spare reading them back
    from `run_dir`; without `data` the directory is read (`slo` still wins over slo.json).
    Works on partial runs: a run killed before slo.json, or with no record at all, still gets
    a report that says what is missing.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir}: not a run directory")
    target = Path(out) if out is not None else run_dir / REPORT_NAME
    if data is None and slo is None:
        view = load_view(run_dir)
    else:
        from harness.measure import load_run

        view = build_view(with_slo(data if data is not None else load_run(run_dir), slo))
    return write_atomic(target, render_view(view))
