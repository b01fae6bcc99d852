"""Report of a 1,000,000-request run: render time, file size, and load time in Chromium.

Goals (issue 6): report.html under 5 MB that opens in under 2 s. Render time is printed for
information, step by step (reading the run directory is harness.measure's part).
Exit status 1 when a goal is missed.

    .venv/bin/python bench/report.py [--requests N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness.atomic import write_atomic
from harness.measure import load_run
from harness.measure.synthetic import synthetic_run, write_run
from harness.report.figures import run_figures
from harness.report.render import REPORT_NAME
from harness.report.templating import render_template
from harness.report.view import build_view
from harness.slo import evaluate

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SIZE_GOAL_MB = 5.0
OPEN_GOAL_S = 2.0
SLOS = {"availability": ">= 99.9%", "latency_p95": "<= 5s", "latency_p99": "<= 8s",
        "retry_amplification": "<= 3", "leaks": "== 0", "cost_per_request": "<= $0.02"}


def _timed(label: str, fn, *args):
    t0 = time.perf_counter()
    value = fn(*args)
    print(f"  {label:<34} {time.perf_counter() - t0:8.2f} s")
    return value


def open_times(report: Path, repeats: int = 3) -> list[tuple[float, float]]:
    """(wall s from goto to the load event, navigation loadEventEnd s) per fresh page."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(repeats):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                t0 = time.perf_counter()
                page.goto(report.resolve().as_uri(), wait_until="load")
                wall = time.perf_counter() - t0
                nav = page.evaluate(
                    "performance.getEntriesByType('navigation')[0].loadEventEnd / 1000")
                out.append((wall, nav))
                context.close()
        finally:
            browser.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.requests
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        run_dir = Path(tmp) / "run"
        print(f"report of {n:,} synthetic requests")
        data = _timed("generate synthetic run", synthetic_run, n, 3600.0)
        _timed("write run directory", write_run, data, run_dir)
        _timed("evaluate SLOs", evaluate, SLOS, data).write(run_dir)
        del data
        # The same steps as render_run, timed one by one (the run is read only once).
        print(" render_run, step by step:")
        t0 = time.perf_counter()
        loaded = _timed("read run dir (harness.measure)", load_run, run_dir)
        view = _timed("aggregate (build_view)", build_view, loaded)
        del loaded
        figures = _timed("charts (matplotlib -> SVG)", run_figures, view)
        html = _timed("template (jinja2)", lambda: render_template(
            "report.html.j2", view=view, figures=figures))
        report = _timed("atomic write", write_atomic, run_dir / REPORT_NAME, html)
        render_s = time.perf_counter() - t0
        print(f"  {'total':<34} {render_s:8.2f} s")
        size_mb = report.stat().st_size / 1e6
        if not Path(CHROMIUM).exists():
            print(f"{CHROMIUM} missing: cannot measure the open time")
            return 1
        times = open_times(report)
        wall = statistics.median(t for t, _ in times)
        nav = statistics.median(t for _, t in times)
    size_ok, open_ok = size_mb < SIZE_GOAL_MB, wall < OPEN_GOAL_S
    print("results")
    print(f"  report size        {size_mb:8.3f} MB   goal < {SIZE_GOAL_MB} MB   "
          f"{'met' if size_ok else 'MISSED'} (ratio {size_mb / SIZE_GOAL_MB:.3f})")
    print(f"  open in Chromium   {wall:8.3f} s    goal < {OPEN_GOAL_S} s     "
          f"{'met' if open_ok else 'MISSED'} (ratio {wall / OPEN_GOAL_S:.3f}; median of "
          f"{len(times)}, goto to load event; loadEventEnd {nav:.3f} s)")
    print(f"  render time        {render_s:8.2f} s    (no goal)")
    return 0 if size_ok and open_ok else 1


if __name__ == "__main__":
    sys.exit(main())
