"""`harness list [PATH]`: a table of scenarios (name, title, chapter, faults, SLOs, expect)."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.table import Table

from harness.errors import ScenarioError
from harness.scenario import Scenario, load_scenario, scenario_files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default="scenarios", metavar="PATH",
                        help="a scenario file or a directory of them (default: scenarios/)")


def main(args: argparse.Namespace) -> int:
    console = Console()
    table = Table(title=f"scenarios in {args.path}")
    for column in ("name", "title", "chapter", "faults", "SLOs", "expect"):
        table.add_column(column, overflow="fold")
    problems = []
    for path in scenario_files([args.path]):
        try:
            table.add_row(*_row(load_scenario(path)))
        except ScenarioError as exc:
            problems += exc.problems
    console.print(table)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 2 if problems else 0


def _row(scenario: Scenario) -> tuple[str, ...]:
    kinds = ", ".join(dict.fromkeys(fault.kind for fault in scenario.faults)) or "-"
    slos = ", ".join(scenario.slos) or "-"
    expect = ", ".join(f"{k}: {v}" for k, v in scenario.expect.items()) or "-"
    chapter = "-" if scenario.chapter is None else str(scenario.chapter)
    return scenario.name, scenario.title, chapter, kinds, slos, expect
