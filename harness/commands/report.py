"""`harness report RUN_DIR [--summary-md FILE]`: re-render a run's report.html."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a run directory")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the HTML (default: RUN_DIR/report.html)")
    parser.add_argument("--summary-md", type=Path, default=None, metavar="FILE",
                        help="also write a short Markdown summary (CI job summary, PR comment); "
                             "appends when FILE exists, as $GITHUB_STEP_SUMMARY expects")


def main(args: argparse.Namespace) -> int:
    # Imported here so that `harness --help` stays fast.
    from harness.report import render_run, summary_markdown

    path = render_run(args.run_dir, args.out)
    print(path)
    if args.summary_md is not None:
        with args.summary_md.open("a", encoding="utf-8") as fh:
            fh.write(summary_markdown([args.run_dir]))
        print(args.summary_md)
    return 0
