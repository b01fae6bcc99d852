"""`harness compare RUN_A RUN_B [--out FILE]`: two runs side by side, SLO deltas (B − A)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_a", metavar="RUN_A", type=Path, help="first run directory (A)")
    parser.add_argument("run_b", metavar="RUN_B", type=Path, help="second run directory (B)")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE",
                        help="HTML file to write (default: compare-A-vs-B.html beside RUN_A)")


def default_out(run_a: Path, run_b: Path) -> Path:
    return run_a.resolve().parent / f"compare-{run_a.resolve().name}-vs-{run_b.resolve().name}.html"


def main(args: argparse.Namespace) -> int:
    from harness.report import render_compare

    out = args.out or default_out(args.run_a, args.run_b)
    print(render_compare(args.run_a, args.run_b, out))
    return 0
