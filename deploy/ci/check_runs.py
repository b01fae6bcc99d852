"""Check the run directories of `harness run --stack compose` (deploy/compose-test.sh, step 5).

    python deploy/ci/check_runs.py OUT_DIR

For every run directory under OUT_DIR: the verdict is the scenario's `expect`; the evidence of
the containers reached it (the LLM ledgers with rows, the tool log, the container logs); run.json
names the PostgreSQL store and every image with its id. Prints one line a run with the cost per
1,000 requests; exit 1 naming each problem.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# Container logs every run must have (the harness's process names, as on the local stack).
LOGS = ("agent", "llm", "llm_eu", "tools", "toxiproxy", "postgres", "prometheus", "pod")


def _rows(path: Path) -> int:
    if not path.is_file():
        return -1
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def _slo(slos: list[dict[str, Any]], measure: str) -> dict[str, Any] | None:
    return next((s for s in slos if s.get("measure") == measure), None)


def check(run_dir: Path) -> tuple[str, list[str]]:
    """(summary line, problems) for one run directory."""
    problems: list[str] = []
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    where = f"{run_dir.name}"
    if run.get("verdict") != run.get("expected"):
        problems.append(f"{where}: verdict {run.get('verdict')}, expected {run.get('expected')}")
    us, eu = _rows(run_dir / "llm_calls.us.jsonl"), _rows(run_dir / "llm_calls.eu.jsonl")
    if us <= 0:
        problems.append(f"{where}: llm_calls.us.jsonl missing or empty ({us} rows)")
    if eu < 0:
        problems.append(f"{where}: llm_calls.eu.jsonl missing")
    tools = _rows(run_dir / "tool_calls.jsonl")
    if tools < 0:
        problems.append(f"{where}: tool_calls.jsonl missing")
    absent = [n for n in LOGS if not (run_dir / "logs" / f"{n}.log").is_file()]
    if absent:
        problems.append(f"{where}: no container log for {', '.join(absent)}")
    stack = run.get("stack") or {}
    store = stack.get("tools_store") or run.get("tools_store")
    if not str(store).startswith("postgresql"):
        problems.append(f"{where}: run.json stack.tools_store is {store!r}")
    services = stack.get("services") or {}
    no_id = [s for s, image in services.items() if not str(image.get("image_id", "")).startswith(
        "sha256:")]
    if not services or no_id:
        problems.append(f"{where}: run.json stack.services without image ids: {no_id or 'none'}")
    slos = json.loads((run_dir / "slo.json").read_text(encoding="utf-8"))["slos"]
    cost = _slo(slos, "cost_per_1k_requests")
    if cost is not None and not (cost.get("value") or 0) > 0:
        problems.append(f"{where}: cost_per_1k_requests is {cost.get('value')!r}, not a cost")
    cost_text = (f"${cost['value']:.2f}/1k" if cost and cost.get("value") is not None
                 else "-")
    line = (f"{run.get('scenario'):<14} {run.get('profile'):<9} verdict {run.get('verdict'):<12}"
            f" expected {run.get('expected') or '-':<6} ledger rows us={us} eu={eu} tools={tools}"
            f"  cost {cost_text}")
    return line, problems


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: check_runs.py OUT_DIR", file=sys.stderr)
        return 2
    runs = sorted(p.parent for p in Path(argv[0]).glob("*/run.json"))
    if not runs:
        print(f"check_runs: no run directory in {argv[0]}", file=sys.stderr)
        return 1
    problems: list[str] = []
    for run_dir in runs:
        line, found = check(run_dir)
        print(line)
        problems += found
    for problem in problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
