"""A gate of one scenario with --repeat 2 against four single runs, side by side.

Goal: `harness gate SCENARIO --repeat 2 --time-scale 0.25` costs about four runs' time (the
four runs it makes, plus judging and the gate report), i.e. ratio <= 1.25 against the same four
runs done by `harness run` one after another. Rounds are interleaved (run x4, gate, ...), as
the machine is shared and noisy; only the ratio means anything.

    python bench/gate.py [SCENARIO] [--rounds N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HARNESS = [sys.executable, "-m", "harness"]


def _timed(argv: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(argv, cwd=ROOT, check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=1800)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", nargs="?", default="scenarios/claude-api-hiccup.yaml")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    common = ["--time-scale", "0.25", "--quiet"]
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            runs = sum(_timed([*HARNESS, "run", args.scenario, "--profile", "hardened",
                               "--seed", str(7 + k % 2), "--out", f"{tmp}/run-{i}-{k}",
                               *common]) for k in range(4))
            gate = _timed([*HARNESS, "gate", args.scenario, "--baseline", "hardened",
                           "--candidate", "hardened", "--repeat", "2", "--out",
                           f"{tmp}/gate-{i}", *common])
            ratios.append(gate / runs)
            print(f"round {i + 1}: four runs {runs:.1f} s, gate --repeat 2 {gate:.1f} s, "
                  f"ratio {gate / runs:.2f}")
    best = sorted(ratios)[len(ratios) // 2]
    print(f"median ratio {best:.2f} (goal <= 1.25): {'met' if best <= 1.25 else 'NOT met'}")


if __name__ == "__main__":
    main()
