"""The gate's outputs: a self-contained gate.html, a Markdown summary sized for a pull-request
comment, and JUnit XML with one test case per scenario x SLO."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.atomic import write_atomic
from harness.gate.judge import GateResult, ScenarioGate, SLOGate
from harness.report.gate_charts import slo_chart
from harness.report.templating import render_template
from harness.units import slo_value

__all__ = ["TONES", "gate_junit", "gate_markdown", "render_gate"]

# Verdict -> the colour class the shared stylesheet knows (pass | fail | inconclusive).
TONES = {"regressed": "fail", "misses objectives": "fail", "inconclusive": "inconclusive",
         "improved": "pass", "no regression": "pass"}
SYMBOLS = {"regressed": "✗", "misses objectives": "✗", "inconclusive": "?", "improved": "▲",
           "no regression": "✓"}
MAX_COMMENT_CHARS = 60_000  # GitHub caps a comment at 65,536 characters


def effect_text(row: SLOGate, which: str = "estimate") -> str:
    d = row.decision
    value = getattr(d, which)
    if value is None:
        return "—"
    if d.kind == "proportion":
        return f"{value * 100:+.2f} pp"
    if d.kind == "ratio":
        return f"×{value:.3f}"
    text = slo_value(value, d.unit)
    return text if text.startswith("-") else f"+{text}"


def side_value(row: SLOGate, side: str) -> str:
    d = row.decision
    value = d.baseline_value if side == "baseline" else d.candidate_value
    if value is None:
        return "—"
    if d.kind == "proportion":
        return f"{value * 100:.2f}%"
    if d.kind == "shift":
        return f"median {slo_value(value, d.unit)}"
    if d.kind == "ratio" and d.unit not in ("usd",):
        return f"{value:.3g}"
    return slo_value(value, d.unit)


METHODS = {"shift": "Mann-Whitney U, HL shift", "proportion": "difference of proportions",
           "ratio": "bootstrap ratio of means", "per_run": "Mann-Whitney U over runs"}


def minimum_text(row: SLOGate) -> str:
    """The minimum effect that applied, in the effect's unit (the rule when none applied)."""
    d = row.decision
    if d.min_effect is None:
        return d.min_effect_text
    if d.kind == "proportion":
        return f"{d.min_effect * 100:.2f} pp"
    if d.kind == "ratio":
        return f"×{1 + d.min_effect:.3f}"
    return slo_value(d.min_effect, d.unit)


def _rel(path: Path, start: Path) -> str:
    try:
        return Path(os.path.relpath(path, start)).as_posix()
    except ValueError:  # another drive (Windows)
        return path.resolve().as_uri()


def render_gate(result: GateResult, out: Path) -> Path:
    """Write gate.html (self-contained; links to each run's report) and return its path."""
    charts = {}
    for si, scenario in enumerate(result.scenarios):
        for ri, row in enumerate(scenario.rows):
            charts[(si, ri)] = slo_chart(f"gate-{si}-{ri}", row)
    html = render_template(
        "gate.html.j2", result=result, charts=charts, tones=TONES, symbols=SYMBOLS,
        effect=effect_text, side_value=side_value, minimum=minimum_text, methods=METHODS,
        link=lambda p: _rel(Path(p), out.parent),
    )
    return write_atomic(out, html)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _scenario_lines(s: ScenarioGate) -> list[str]:
    lines = [f"### {SYMBOLS[s.verdict]} {_cell(s.scenario.title)}: **{s.verdict}**", "",
             "| SLO | baseline | candidate | effect [95% CI] | decision | why |",
             "|---|---:|---:|---:|---|---|"]
    for row in s.rows:
        interval = f"{effect_text(row)} [{effect_text(row, 'ci_low')}, " \
                   f"{effect_text(row, 'ci_high')}]" if row.decision.estimate is not None \
            else "—"
        lines.append(f"| `{_cell(row.slo)}` `{_cell(row.decision.objective)}` | "
                     f"{side_value(row, 'baseline')} | {side_value(row, 'candidate')} | "
                     f"{interval} | {SYMBOLS[row.verdict]} {row.verdict} | {_cell(row.why)} |")
    lines += ["", *(f"> {n}" for n in s.notes)] if s.notes else [""]
    return lines


def gate_markdown(result: GateResult, report_url: str | None = None) -> str:
    """The gate's verdict and a table per scenario; shortened to fit a PR comment."""
    head = [f"## {SYMBOLS[result.verdict]} harness gate: **{result.verdict}**", "",
            f"Baseline `{_cell(result.baseline)}` vs candidate `{_cell(result.candidate)}`: "
            f"{len(result.scenarios)} scenario{'s' if len(result.scenarios) != 1 else ''}, "
            f"{result.repeat} run{'s' if result.repeat != 1 else ''} a side each, "
            f"time scale {result.time_scale:g}."
            + (f" [Report]({report_url})" if report_url else ""), ""]
    body: list[str] = []
    for s in sorted(result.scenarios, key=lambda s: list(TONES).index(s.verdict)):
        body += _scenario_lines(s)
    text = "\n".join(head + body)
    if len(text) > MAX_COMMENT_CHARS:
        cut = text[:MAX_COMMENT_CHARS].rsplit("\n", 1)[0]
        text = cut + "\n\n_…shortened to fit a comment; gate.html and gate.json have it all._"
    return text.rstrip() + "\n"


def gate_junit(result: GateResult) -> str:
    """One test suite per scenario, one test case per SLO: failure when it regressed or the
    candidate missed its objective, skipped when inconclusive."""
    root = ET.Element("testsuites", name="harness gate")
    for s in result.scenarios:
        suite = ET.SubElement(root, "testsuite", name=f"gate:{s.scenario.name}",
                              tests=str(len(s.rows)))
        failures = skipped = 0
        for row in s.rows:
            case = ET.SubElement(suite, "testcase", classname=f"gate.{s.scenario.name}",
                                 name=row.slo)
            message = f"{row.verdict}: {row.why}"
            ET.SubElement(case, "system-out").text = message
            if TONES[row.verdict] == "fail":
                failures += 1
                ET.SubElement(case, "failure", message=message,
                              type=row.verdict.replace(" ", "_"))
            elif row.verdict == "inconclusive":
                skipped += 1
                ET.SubElement(case, "skipped", message=message)
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
        props = ET.SubElement(suite, "properties")
        for key, value in (("baseline", s.baseline), ("candidate", s.candidate),
                           ("verdict", s.verdict)):
            ET.SubElement(props, "property", name=key, value=value)
        for ref in s.runs:
            ET.SubElement(props, "property", name=f"run:{ref.side}:{ref.seed}",
                          value=str(ref.run_dir))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
