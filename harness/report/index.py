"""`render_index(run_dirs, out)`: the suite's index.html, linking every run with its verdict."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from harness.atomic import write_atomic
from harness.report.render import REPORT_NAME
from harness.report.templating import render_template
from harness.report.view import RunSummary, summarise


def suite_verdict(summaries: Iterable[RunSummary]) -> str:
    """fail if any run's outcome failed (its verdict, or its verdict against `expect`), else
    inconclusive if any was (or none ran), else pass."""
    verdicts = {s.outcome for s in summaries}
    if "fail" in verdicts:
        return "fail"
    if "inconclusive" in verdicts or not verdicts:
        return "inconclusive"
    return "pass"


def render_index(run_dirs: Iterable[str | Path], out: str | Path) -> Path:
    """Write `out` (atomically) listing each run, its verdict and a relative link to its report."""
    out = Path(out)
    summaries = [summarise(d) for d in run_dirs]
    rows = []
    for s in summaries:
        report = s.run_dir / REPORT_NAME
        href = Path(os.path.relpath(report, out.parent)).as_posix()
        rows.append({"summary": s, "href": href, "has_report": report.exists()})
    counts = Counter(s.verdict for s in summaries)
    expected = [s for s in summaries if s.expected is not None]
    as_expected = sum(1 for s in expected if s.outcome == "pass")
    html = render_template("index.html.j2", rows=rows, counts=counts,
                           expected=len(expected), as_expected=as_expected,
                           verdict=suite_verdict(summaries))
    return write_atomic(out, html)
