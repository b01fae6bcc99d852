"""Self-contained HTML reports of runs: one per run, a comparison of two, a suite index,
and a short Markdown summary for CI job summaries and pull-request comments."""

from harness.report.compare import render_compare
from harness.report.index import render_index
from harness.report.render import render_run
from harness.report.summary import summary_markdown

__all__ = ["render_compare", "render_index", "render_run", "summary_markdown"]
