"""`harness run PATH...`: run scenarios against an agent and gate on their SLOs.

Exit codes: 0 every run green, 1 an SLO missed (or a verdict differs from `expect`),
2 bad scenario or usage, 3 the stack could not start, 130 interrupted.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from harness.errors import UsageError

if TYPE_CHECKING:
    from harness.run.ablate import AblationRow
    from harness.run.runner import RunOptions
    from harness.scenario import Scenario


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    parser.add_argument("--profile", choices=["naive", "hardened", "all"], default=None,
                        help="reference agent profile (default: the scenario's, or those in "
                             "its `expect`)")
    parser.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run each scenario N times (seeds S, S+1, ...): pass^N and a "
                             "t-interval across runs per SLO (repeats.html)")
    parser.add_argument("--time-scale", type=float, default=1.0, metavar="F",
                        help="multiply every duration and fault time by F (e.g. 0.25)")
    parser.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR",
                        help="where run directories go (default: reports/)")
    parser.add_argument("--junit", type=Path, default=None, metavar="FILE",
                        help="write a JUnit XML file covering every run")
    parser.add_argument("--summary-md", type=Path, default=None, metavar="FILE",
                        help="write a Markdown summary (CI job summary, PR comment)")
    parser.add_argument("--strict", action="store_true",
                        help="pass an SLO only when its whole 95%% interval meets the objective")
    parser.add_argument("--workers", type=int, default=0, metavar="N",
                        help="Locust master + N worker processes (default: one process)")
    parser.add_argument("--no-expect", action="store_true",
                        help="gate on SLOs only, ignoring the scenario's `expect`")
    parser.add_argument("--stack", choices=["local", "compose"], default="local",
                        help="local: embedded processes on 127.0.0.1 (default); compose: "
                             "docker-compose.yml with the real Toxiproxy (needs Docker)")
    parser.add_argument("--compose-file", type=Path, action="append", default=[],
                        metavar="FILE", dest="compose_files",
                        help="with --stack compose: a compose file (repeat for overrides; "
                             "default: HARNESS_COMPOSE_FILE, COMPOSE_FILE, or the project "
                             "directory's docker-compose.yml)")
    parser.add_argument("--compose-dir", type=Path, default=None, metavar="DIR",
                        help="with --stack compose: the project directory (default: the "
                             "first compose file's)")
    parser.add_argument("--prometheus", action=argparse.BooleanOptionalAction, default=None,
                        help="run a real Prometheus with the SLO alert rules beside the stack "
                             "(default: when a `prometheus` binary is on PATH)")
    parser.add_argument("--tools-store", default=None, metavar="URL",
                        help="the tool server's tenant store, e.g. postgresql://tools@HOST/DB "
                             "(row-level security; default: SQLite)")
    parser.add_argument("--no-report", action="store_true", help="skip report.html")
    parser.add_argument("--quiet", action="store_true", help="no live progress view")
    parser.add_argument("--ablate", action="store_true",
                        help="run the hardened profile once per pattern flag with that flag "
                             "off and report which patterns the verdict depends on "
                             "(ablation.json, ablation.html)")
    parser.add_argument("--ablate-flags", default=None, metavar="A,B",
                        help="with --ablate: only these pattern flags (default: every one)")


def main(args: argparse.Namespace) -> int:
    from harness.report import render_index, summary_markdown
    from harness.run.junit import slo_line, write_junit
    from harness.run.runner import RunOptions, junit_entry, run_scenario
    from harness.scenario import load_scenarios

    if args.time_scale <= 0:
        raise UsageError(f"--time-scale must be > 0, got {args.time_scale}")
    if args.workers < 0:
        raise UsageError(f"--workers must be >= 0, got {args.workers}")
    if args.repeat < 1:
        raise UsageError(f"--repeat must be >= 1, got {args.repeat}")
    if args.ablate_flags and not args.ablate:
        raise UsageError("--ablate-flags needs --ablate")
    scenarios = load_scenarios([Path(p) for p in args.paths])  # all problems, or exit 2
    options = RunOptions(out_root=args.out, seed=args.seed, time_scale=args.time_scale,
                         strict=args.strict, workers=args.workers, progress=not args.quiet,
                         render=not args.no_report, use_expect=not args.no_expect,
                         prometheus=args.prometheus, stack=args.stack,
                         tools_store=args.tools_store,
                         stack_options={"compose_files": args.compose_files,
                                        "compose_dir": args.compose_dir})
    console = Console(stderr=True)
    if args.ablate:
        return _ablate(scenarios, options, args, console)
    results = []
    for scenario in scenarios:
        for profile, run_options in _repeats(scenario, args, options):
            console.print(f"[bold]▶ {scenario.name}[/] ({profile})")
            result = run_scenario(scenario, profile, run_options)
            results.append(result)
            for slo in result.slos:
                console.print(f"   {slo_line(slo)}")
            console.print(f"   verdict: {result.verdict.upper()}"
                          + (f" (expected {result.expected})" if result.expected else "")
                          + f"  {result.run_dir}")

    table = Table(title="harness run")
    for column in ("scenario", "profile", "verdict", "expected", "result", "run dir"):
        table.add_column(column)
    for r in results:
        table.add_row(r.scenario.name, r.profile, r.verdict.upper(), r.expected or "-",
                      "ok" if r.succeeded else "FAILED", str(r.run_dir))
    console.print(table)
    run_dirs = [r.run_dir for r in results]
    if len(results) > 1:
        index = render_index(run_dirs, args.out / "index.html")
        console.print(f"suite index: {index}")
        print(index)
    elif results and results[0].report_html:
        print(results[0].report_html)
    if args.junit:
        write_junit(args.junit, [junit_entry(r) for r in results])
    summary = summary_markdown(run_dirs) if args.summary_md else ""
    if args.repeat > 1:
        summary += "\n" + _report_repeats(results, args, console)
    if args.summary_md:
        args.summary_md.write_text(summary, encoding="utf-8")
    return 0 if all(r.succeeded for r in results) else 1


def _repeats(scenario: Scenario, args: argparse.Namespace,
             options: RunOptions) -> list[tuple[str, RunOptions]]:
    """(profile, options) of every run: each profile `--repeat` times, seeds S, S+1, ..."""
    from dataclasses import replace

    from harness.run.runner import profiles_for

    first = args.seed if args.seed is not None else scenario.seed
    return [(profile, replace(options, seed=first + i) if args.repeat > 1 else options)
            for profile in profiles_for(scenario, args.profile) for i in range(args.repeat)]


def _report_repeats(results: list, args: argparse.Namespace, console: Console) -> str:
    """pass^N per scenario and profile on the console and in repeats.html; the Markdown."""
    from harness.gate.repeat import aggregate, repeat_markdown
    from harness.report.repeats import render_repeats
    from harness.units import slo_value

    groups = aggregate(results)
    table = Table(title=f"pass^{args.repeat}")
    for column in ("scenario", "profile", "SLO", "per run", "mean [95% t]", "pass^N"):
        table.add_column(column)
    for g in groups:
        for r in g.rows:
            table.add_row(g.scenario, g.profile, r.slo,
                          ", ".join(slo_value(v, r.unit) for v in r.values),
                          f"{slo_value(r.mean, r.unit)} [{slo_value(r.low, r.unit)}, "
                          f"{slo_value(r.high, r.unit)}]", f"{r.passed}/{len(r.verdicts)}")
        console.print(f"{g.scenario} ({g.profile}): pass^{len(g.runs)} {g.verdict.upper()} "
                      f"({g.passed}/{len(g.runs)} runs passed)")
    console.print(table)
    console.print(f"repeats: {render_repeats(groups, args.out / 'repeats.html')}")
    return repeat_markdown(groups)


def _ablate(scenarios: list[Scenario], options: RunOptions, args: argparse.Namespace,
            console: Console) -> int:
    """`--ablate`: exit 0 when every baseline (hardened as is) met its expectation; the
    ablated runs inform, they do not gate."""
    from harness.report import render_index
    from harness.run.ablate import ablate, print_ablation, write_ablation

    if args.profile not in (None, "hardened"):
        raise UsageError("--ablate runs the hardened profile; drop --profile or use "
                         "--profile hardened")
    ablations = []
    for scenario in scenarios:
        if scenario.agent.kind != "reference":
            raise UsageError(f"{scenario.name}: --ablate needs the reference agent")

        def show(row: AblationRow, name: str = scenario.name) -> None:
            what = f"without {row.flag}" if row.flag else "baseline"
            console.print(f"[bold]▶ {name}[/] (hardened, {what}): {row.verdict.upper()}")

        flags = ([f.strip() for f in args.ablate_flags.split(",") if f.strip()]
                 if args.ablate_flags else None)
        try:
            ablation = ablate(scenario, options, flags=flags, on_result=show)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        print_ablation(console, ablation)
        ablations.append(ablation)
    run_dirs = [r.result.run_dir for a in ablations for r in (a.baseline, *a.rows)]
    index = render_index(run_dirs, args.out / "index.html")
    json_path, html_path = write_ablation(ablations, args.out)
    console.print(f"ablation: {json_path} {html_path}\nsuite index: {index}")
    print(html_path)
    if args.junit:
        from harness.run.junit import write_junit
        from harness.run.runner import junit_entry

        write_junit(args.junit, [junit_entry(r.result) for a in ablations
                                 for r in (a.baseline, *a.rows)])
    return 0 if all(a.baseline.result.succeeded for a in ablations) else 1
