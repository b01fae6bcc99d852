"""`harness gate PATH... --baseline SPEC --candidate SPEC`: is the candidate worse?

Exit codes: 0 no regression (or improved), 1 regressed, the candidate missed an objective, or
inconclusive (0 with --allow-inconclusive), 2 bad scenario, SPEC or usage, 3 the stack could not
start, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from harness.errors import UsageError

if TYPE_CHECKING:
    from harness.gate.spec import Side
    from harness.scenario import Scenario


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    for side in ("baseline", "candidate"):
        group = parser.add_mutually_exclusive_group()
        group.add_argument(f"--{side}", default=None, metavar="SPEC",
                           help=f"the {side} as a reference-agent SPEC: a profile with optional "
                                "flags, e.g. hardened or hardened:retries=false,"
                                "circuit_breaker=false")
        group.add_argument(f"--{side}-command", default=None, metavar="CMD",
                           help=f"the {side} as your own agent, started by the harness "
                                "(must contain {port})")
        group.add_argument(f"--{side}-url", default=None, metavar="URL",
                           help=f"the {side} as your own agent already running on loopback")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="runs a side per scenario, seeds S, S+1, ... (default 1)")
    parser.add_argument("--seed", type=int, default=None, metavar="S",
                        help="first seed (default: the scenario's)")
    parser.add_argument("--time-scale", type=float, default=1.0, metavar="F",
                        help="multiply every duration and fault time by F (e.g. 0.25)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="gate folder (default: reports/gate-<timestamp>)")
    parser.add_argument("--junit", type=Path, default=None, metavar="FILE",
                        help="JUnit XML, one test case per scenario x SLO")
    parser.add_argument("--summary-md", type=Path, default=None, metavar="FILE",
                        help="Markdown summary that fits a pull-request comment")
    parser.add_argument("--report-url", default=None, metavar="URL",
                        help="link to gate.html in the summary (e.g. the CI artifact)")
    parser.add_argument("--allow-inconclusive", action="store_true",
                        help="exit 0 when the verdict is inconclusive")
    parser.add_argument("--quiet", action="store_true", help="no live progress view")


def _side(args: argparse.Namespace, name: str, scenario: Scenario) -> Side:
    from harness.gate.spec import Side, parse_spec

    spec, command, url = (getattr(args, name), getattr(args, f"{name}_command"),
                          getattr(args, f"{name}_url"))
    where = f"--{name}"
    if spec is None and command is None and url is None:
        block = getattr(scenario.gate, name, None) if scenario.gate else None
        if block is None:
            raise UsageError(f"{scenario.name}: no {name}: give --{name} SPEC, "
                             f"--{name}-command or --{name}-url, or `gate.{name}` in "
                             f"{scenario.source or 'the scenario'}")
        spec, command, url = block.spec, block.command, block.url
        where = f"{scenario.source}: gate.{name}"
        if command is not None:
            return Side(label=command, command=command, env=dict(block.env))
    if spec is not None:
        try:
            return parse_spec(spec)
        except ValueError as exc:
            raise UsageError(f"{where}: {exc}") from None
    if command is not None:
        if "{port}" not in command:
            raise UsageError(f"{where}-command must contain {{port}}: the harness picks a port")
        return Side(label=command, command=command)
    from harness.scenario.schema import _loopback_url

    try:
        _loopback_url(url)
    except ValueError as exc:
        raise UsageError(f"{where}-url: {exc}") from None
    return Side(label=url, url=url)


def main(args: argparse.Namespace) -> int:
    from harness.gate.judge import GateResult, judge
    from harness.gate.runs import RunOptions, gate_runs
    from harness.gate.spec import variant
    from harness.report.gate import gate_junit, gate_markdown, render_gate
    from harness.run.junit import slo_line
    from harness.scenario import load_scenarios

    if args.time_scale <= 0:
        raise UsageError(f"--time-scale must be > 0, got {args.time_scale}")
    if args.repeat < 1:
        raise UsageError(f"--repeat must be >= 1, got {args.repeat}")
    scenarios = load_scenarios([Path(p) for p in args.paths])  # all problems, or exit 2
    plans = []
    for scenario in scenarios:
        baseline, candidate = _side(args, "baseline", scenario), _side(args, "candidate", scenario)
        for side in (baseline, candidate):
            try:
                variant(scenario, side)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        plans.append((scenario, baseline, candidate))
    out = args.out or Path("reports") / f"gate-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    options = RunOptions(out_root=out, seed=args.seed, time_scale=args.time_scale,
                         progress=not args.quiet, use_expect=True)
    console = Console(stderr=True)
    started = time.monotonic()
    gates = []
    for scenario, baseline, candidate in plans:
        def show(side: str, seed: int, result: object, name: str = scenario.name) -> None:
            console.print(f"[bold]▶ {name}[/] {side} (seed {seed}): "
                          f"{result.verdict.upper()}  {result.run_dir}")  # type: ignore[attr-defined]
            for slo in result.slos:  # type: ignore[attr-defined]
                console.print(f"   {slo_line(slo)}")

        refs = gate_runs(scenario, baseline, candidate, args.repeat, options, out, show)
        gates.append(judge(scenario, baseline.label, candidate.label, refs))
    labels = {(b.label, c.label) for _, b, c in plans}
    b_label, c_label = next(iter(labels)) if len(labels) == 1 else ("(per scenario)",) * 2
    result = GateResult(gates, b_label, c_label, args.repeat, args.time_scale, out,
                        elapsed_s=time.monotonic() - started)
    _print(console, result)
    (out / "gate.json").write_text(json.dumps(result.to_dict(), indent=2, default=str) + "\n",
                                   encoding="utf-8")
    html = render_gate(result, out / "gate.html")
    markdown = gate_markdown(result, args.report_url)
    (out / "summary.md").write_text(markdown, encoding="utf-8")
    if args.summary_md:
        args.summary_md.write_text(markdown, encoding="utf-8")
    if args.junit:
        args.junit.parent.mkdir(parents=True, exist_ok=True)
        args.junit.write_text(gate_junit(result), encoding="utf-8")
    console.print(f"gate: {result.verdict.upper()}  {html}")
    print(html)
    return result.exit_code(args.allow_inconclusive)


def _print(console: Console, result: object) -> None:
    from harness.gate.judge import GateResult
    from harness.report.gate import effect_text

    assert isinstance(result, GateResult)
    table = Table(title=f"harness gate: {result.candidate} vs {result.baseline}")
    for column in ("scenario", "SLO", "effect [95% CI]", "p", "decision"):
        table.add_column(column)
    for s in result.scenarios:
        for row in s.rows:
            d = row.decision
            effect = (f"{effect_text(row)} [{effect_text(row, 'ci_low')}, "
                      f"{effect_text(row, 'ci_high')}]" if d.estimate is not None else "—")
            table.add_row(s.scenario.name, row.slo, effect,
                          f"{d.p_value:.3g}" if d.p_value is not None else "—", row.verdict)
    console.print(table)
    for s in result.scenarios:
        for row in s.rows:
            if row.verdict != "no regression":
                console.print(f"  {s.scenario.name} {row.slo}: {row.verdict}: {row.why}")
