"""Reading a 1,000,000-request run directory: the per-line reader vs the Arrow reader.

Writes one synthetic run (1M requests, ~2M ledger rows, ~0.5M tool calls) to a temp dir, then
times `load_run` with the per-line JSON reader (`json.loads` per line, `pd.DataFrame(rows)`,
the old path) and with the Arrow reader, alternating old, new, new, old so drift of the shared
machine hits both alike. Prints wall and CPU seconds (CPU summed over threads: Arrow parses on
both cores) and the old/new ratio, and checks the frames are equal. Goal: the new path under
20 s wall for this run. Exit status 1 when the goal is missed or the frames differ.

    .venv/bin/python bench/load_run.py [--requests N] [--rounds R]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import pandas as pd

from harness.measure.jsonl import read_frame, read_frame_lines
from harness.measure.run_data import RunData, _load
from harness.measure.synthetic import synthetic_run, write_run

GOAL_S = 20.0
READERS = {"old (per-line json)": read_frame_lines, "new (pyarrow)": read_frame}


def timed(run_dir: Path, label: str) -> tuple[float, float, RunData]:
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    data = _load(run_dir, READERS[label])
    return time.perf_counter() - t0, time.process_time() - c0, data


def same(a: RunData, b: RunData) -> bool:
    try:
        for name in ("requests", "llm_calls", "tool_calls", "faults"):
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    except AssertionError as exc:
        print(f"frames differ: {exc}")
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=1, help="old/new pairs (order A B B A)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-load-run-") as tmp:
        run_dir = write_run(synthetic_run(args.requests, 3600.0), Path(tmp) / "run")
        size_mb = sum(p.stat().st_size for p in run_dir.glob("*.jsonl")) / 1e6
        print(f"run of {args.requests:,} requests: {size_mb:,.0f} MB of JSON lines; "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        old, new = list(READERS)
        order = [old, new, new, old] * ((args.rounds + 1) // 2)
        times: dict[str, list[tuple[float, float]]] = {old: [], new: []}
        frames: dict[str, RunData] = {}
        for label in order[: 2 * args.rounds]:
            wall, cpu, data = timed(run_dir, label)
            times[label].append((wall, cpu))
            print(f"  {label:<22} wall {wall:7.2f} s   cpu {cpu:7.2f} s   "
                  f"rows {len(data.requests):,} / {len(data.llm_calls):,} / "
                  f"{len(data.tool_calls):,}")
            if label not in frames:
                frames[label] = data
            del data
        equal = same(frames[new], frames[old])
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    old_wall = median(w for w, _ in times[old])
    new_wall = median(w for w, _ in times[new])
    old_cpu = median(c for _, c in times[old])
    new_cpu = median(c for _, c in times[new])
    met = new_wall < GOAL_S
    print("results (medians)")
    print(f"  old   wall {old_wall:7.2f} s   cpu {old_cpu:7.2f} s")
    print(f"  new   wall {new_wall:7.2f} s   cpu {new_cpu:7.2f} s")
    print(f"  ratio old/new   wall {old_wall / new_wall:5.1f}x   cpu {old_cpu / new_cpu:5.1f}x")
    print(f"  goal new < {GOAL_S:g} s wall: {'met' if met else 'MISSED'}; "
          f"frames equal: {'yes' if equal else 'NO'}")
    return 0 if met and equal else 1


if __name__ == "__main__":
    sys.exit(main())
