"""`harness run SCENARIO --ablate`: which hardened patterns does the verdict depend on?

The hardened profile runs once as is (the baseline), then once per pattern flag with exactly
that flag switched off. A pattern *matters* for a scenario when the baseline passes and the
run without it fails: that is the defence that actually holds the incident off. Results go
to the console (a rich table), `ablation.json` and a self-contained `ablation.html` in the
output folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from rich.console import Console
from rich.table import Table

from harness.run.runner import RunOptions, RunResult, run_scenario
from harness.scenario import Scenario
from harness.targets.reference import pattern_flags

__all__ = ["Ablation", "AblationRow", "ablate", "pattern_flags", "print_ablation",
           "write_ablation"]

PROFILE = "hardened"




@dataclass
class AblationRow:
    """One run: the baseline (`flag` None) or the hardened profile without `flag`."""

    flag: str | None
    result: RunResult

    @property
    def verdict(self) -> str:
        return self.result.verdict

    def failed_slos(self) -> list[str]:
        return [s["name"] for s in self.result.slos if s.get("verdict") == "fail"]

    def values(self) -> dict[str, float | None]:
        return {s["name"]: s.get("value") for s in self.result.slos}


@dataclass
class Ablation:
    scenario: Scenario
    baseline: AblationRow
    rows: list[AblationRow] = field(default_factory=list)

    def depends_on(self) -> list[str]:
        """Flags whose removal turns a passing baseline into a failing run."""
        if self.baseline.verdict != "pass":
            return []
        return [r.flag for r in self.rows if r.flag and r.verdict == "fail"]

    def to_dict(self) -> dict[str, Any]:
        def row(r: AblationRow) -> dict[str, Any]:
            return {"flag": r.flag, "verdict": r.verdict, "failed_slos": r.failed_slos(),
                    "values": r.values(), "run_dir": str(r.result.run_dir),
                    "matters": r.flag in self.depends_on()}

        return {"scenario": self.scenario.name, "title": self.scenario.title,
                "profile": PROFILE, "baseline": row(self.baseline),
                "ablations": [row(r) for r in self.rows], "depends_on": self.depends_on()}


def _without(scenario: Scenario, flag: str) -> Scenario:
    """The scenario with `flag` forced off; named after it so run directories say which."""
    agent = scenario.agent.model_copy(update={"set": {**scenario.agent.set, flag: False}})
    name = f"{scenario.name}-without-{flag.replace('_', '-')}"
    return scenario.model_copy(update={"agent": agent, "name": name})


def ablate(scenario: Scenario, options: RunOptions, flags: Iterable[str] | None = None,
           on_result: Callable[[AblationRow], None] | None = None) -> Ablation:
    """Run the baseline and one run per flag (default: every pattern flag), in that order."""
    if scenario.agent.kind != "reference":
        raise ValueError(f"{scenario.name}: --ablate needs the reference agent "
                         "(its patterns are flags); this scenario runs your own agent")
    chosen = list(flags) if flags is not None else pattern_flags()
    unknown = sorted(set(chosen) - set(pattern_flags()))
    if unknown:
        raise ValueError(f"not pattern flags: {', '.join(unknown)}; "
                         f"allowed: {', '.join(pattern_flags())}")

    def one(flag: str | None) -> AblationRow:
        target = scenario if flag is None else _without(scenario, flag)
        row = AblationRow(flag, run_scenario(target, PROFILE, options))
        if on_result is not None:
            on_result(row)
        return row

    result = Ablation(scenario, one(None))
    for flag in chosen:
        result.rows.append(one(flag))
    return result


def print_ablation(console: Console, ablation: Ablation) -> None:
    base = ablation.baseline
    table = Table(title=f"ablation: {ablation.scenario.name} (hardened, one pattern off)")
    for column in ("pattern off", "verdict", "SLOs missed", "matters"):
        table.add_column(column)
    table.add_row("(none: baseline)", base.verdict.upper(), ", ".join(base.failed_slos()) or "-",
                  "")
    needed = set(ablation.depends_on())
    for row in ablation.rows:
        table.add_row(row.flag or "", row.verdict.upper(), ", ".join(row.failed_slos()) or "-",
                      "[bold]yes[/]" if row.flag in needed else "no")
    console.print(table)
    if base.verdict != "pass":
        console.print(f"[yellow]the baseline did not pass ({base.verdict}): nothing to ablate "
                      f"against[/]")
    elif needed:
        console.print(f"the verdict depends on: [bold]{', '.join(sorted(needed))}[/]")
    else:
        console.print("no single pattern is decisive: the defences overlap")


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ablation</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}
table{border-collapse:collapse;width:100%;margin-bottom:2rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
.matters{font-weight:bold;background:#fde2e2}.pass{color:#1a7f37}.fail{color:#b42318}
</style></head><body>
<h1>Ablation: which patterns does each verdict depend on?</h1>
<p>The hardened profile runs once as is, then once per pattern with only that pattern off.
A pattern <b>matters</b> when the baseline passes and the run without it fails.</p>
{% for a in ablations %}
<h2>{{ a.scenario }}: {{ a.title }}</h2>
<p>Depends on: <b>{{ a.depends_on | join(", ") if a.depends_on else "no single pattern" }}</b></p>
<table><thead><tr><th>pattern off</th><th>verdict</th><th>SLOs missed</th><th>run</th></tr></thead>
<tbody>
{% for r in [a.baseline] + a.ablations %}
<tr class="{{ 'matters' if r.matters else '' }}">
<td>{{ r.flag or "(none: baseline)" }}</td>
<td class="{{ r.verdict }}">{{ r.verdict | upper }}</td>
<td>{{ r.failed_slos | join(", ") or "-" }}</td>
<td><a href="{{ r.href }}">{{ r.run_name }}</a></td></tr>
{% endfor %}
</tbody></table>
{% endfor %}
</body></html>
"""


def write_ablation(ablations: list[Ablation], out_dir: Path) -> tuple[Path, Path]:
    """`out_dir/ablation.json` and `out_dir/ablation.html` (links relative to `out_dir`)."""
    import os

    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"ablations": [a.to_dict() for a in ablations]}
    json_path = out_dir / "ablation.json"
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    for entry in data["ablations"]:
        for r in [entry["baseline"], *entry["ablations"]]:
            run_dir = Path(r["run_dir"])
            r["run_name"] = run_dir.name
            target = run_dir / "report.html"
            r["href"] = Path(os.path.relpath(target if target.exists() else run_dir,
                                             out_dir)).as_posix()
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    html_path = out_dir / "ablation.html"
    html_path.write_text(env.from_string(_HTML).render(ablations=data["ablations"]),
                         encoding="utf-8")
    return json_path, html_path
