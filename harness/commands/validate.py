"""`harness validate PATH...`: check scenario files; exit 0 when all are valid, 2 otherwise."""

from __future__ import annotations

import argparse
import sys

from harness.errors import ScenarioError
from harness.scenario import load_scenario, scenario_files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="scenario files, or directories of *.yaml files")


def main(args: argparse.Namespace) -> int:
    files = scenario_files(args.paths)
    if not files:
        print(f"no scenario files in {' '.join(args.paths)}", file=sys.stderr)
        return 2
    bad = 0
    for path in files:
        try:
            load_scenario(path)
        except ScenarioError as exc:
            bad += 1
            for problem in exc.problems:
                print(problem)
            continue
        print(f"ok  {path}")
    if bad:
        print(f"{bad} of {len(files)} scenario file(s) invalid", file=sys.stderr)
    return 2 if bad else 0
