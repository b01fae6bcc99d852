"""`summary_markdown(run_dirs)`: a short Markdown summary for CI job summaries and PR comments."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.report.index import suite_verdict
from harness.report.view import RunSummary, summarise
from harness.units import VERDICT_SYMBOLS, slo_value, verdict_word


def _cell(text: object) -> str:
    """Markdown table cells cannot hold pipes or newlines."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _verdict(v: str) -> str:
    return f"{VERDICT_SYMBOLS[v]} **{verdict_word(v)}**"


def _run_lines(s: RunSummary) -> list[str]:
    lines = [f"### {_verdict(s.verdict)} {_cell(s.title)} ({_cell(s.profile or 'no profile')})", ""]
    lines.append(f"`{s.name}`: {s.verdict_reason}.")
    rerun = s.run.get("rerun") or s.run.get("rerun_command")
    if rerun:
        lines += ["", f"Rerun: `{_cell(rerun)}`"]
    if s.slo_rows:
        lines += ["", "| SLO | objective | measured | 95% CI | n | verdict |",
                  "|---|---|---:|---:|---:|---|"]
        for r in s.slo_rows:
            ci = ("—" if r.ci_low is None or r.ci_high is None
                  else f"{slo_value(r.ci_low, r.unit)} – {slo_value(r.ci_high, r.unit)}")
            lines.append(
                f"| `{_cell(r.name)}` | `{_cell(r.objective)}` | {slo_value(r.value, r.unit)} "
                f"| {ci} | {r.n if r.n is not None else '—'} | {_verdict(r.verdict)} |"
            )
    return [*lines, ""]


def summary_markdown(run_dirs: Iterable[str | Path]) -> str:
    """Overall verdict, a one-line-per-run table, then each run's SLO table."""
    summaries = [summarise(d) for d in run_dirs]
    overall = suite_verdict(summaries)
    lines = [f"## {_verdict(overall)}: harness, {len(summaries)} run"
             f"{'' if len(summaries) == 1 else 's'}", ""]
    if summaries:
        lines += ["| verdict | scenario | profile | SLOs missed |", "|---|---|---|---|"]
        for s in summaries:
            missed = ", ".join(f"`{_cell(r.name)}`" for r in s.failed_slos) or "—"
            lines.append(f"| {_verdict(s.verdict)} | {_cell(s.title)} | "
                         f"{_cell(s.profile or '—')} | {missed} |")
        lines.append("")
    for s in summaries:
        lines += _run_lines(s)
    return "\n".join(lines).rstrip() + "\n"
