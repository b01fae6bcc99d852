"""Benchmark: evaluate the full SLO catalogue, with selectors, over 1,000,000 synthetic requests.

    .venv/bin/python bench/slo.py [--requests N] [--strict]

Prints the time to build the records (not part of the goal) and the time `evaluate` takes;
the goal is <= 10 s on this machine.
"""

from __future__ import annotations

import argparse
import time

from harness.measure.synthetic import synthetic_run
from harness.slo import MEASURES, evaluate

GOAL_S = 10.0

# Every measure once unselected, plus the selectors scenarios use.
SELECTED = {
    "availability[tenant=globex,during=faults]": ">= 99%",
    "availability[during=recovery]": ">= 99%",
    "availability[attack=false,region=eu]": ">= 99%",
    "error_rate[task=chat]": "<= 1%",
    "latency_p95[tenant=globex]": "<= 2s",
    "latency_p99[during=faults]": "<= 5s",
    "latency_p50[during=baseline]": "<= 1s",
    "burn_rate[window=10s,target=99%]": "<= 10",
    "burn_rate[tenant=acme,window=5s]": "<= 100",
    "cost_per_request[tenant=acme]": "<= $0.02",
    "cost_per_hour[during=faults]": "<= $10000",
    "cache_hit_ratio[tenant=initech]": ">= 20%",
    "retry_amplification[tenant=globex]": "<= 3",
    "leaks[attack=true]": "== 0",
    "unauthorized_tool_calls[attack=true]": "== 0",
    "residency_violations[during=faults]": "== 0",
    "recovery_time[window=2s,target=99%]": "<= 5s",
    "throughput[during=faults]": ">= 100",
}
OBJECTIVE = {"ratio": ">= 0%", "seconds": "<= 60s", "usd": "<= $1000000", "count": ">= 0",
             "per_second": ">= 0", "number": ">= 0"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    data = synthetic_run(args.requests, duration_s=600.0, fault=(200.0, 320.0),
                         attack_share=0.02, leak_probability=0.01, cache_share=0.3)
    built = time.perf_counter() - t0
    specs = {m: OBJECTIVE[info.unit] for m, info in MEASURES.items()} | SELECTED
    specs["availability"] = ">= 99%"

    t0 = time.perf_counter()
    report = evaluate(specs, data, strict=args.strict)
    took = time.perf_counter() - t0

    print(f"records: {len(data.requests):,} requests, {len(data.llm_calls):,} LLM calls, "
          f"{len(data.tool_calls):,} tool calls (built in {built:.1f} s)")
    print(f"evaluated {len(report.slos)} SLOs ({len(MEASURES)} measures, "
          f"{len(SELECTED)} with selectors) in {took:.2f} s; goal <= {GOAL_S:.0f} s; "
          f"ratio to goal {took / GOAL_S:.2f}")
    print(f"overall verdict: {report.verdict}")


if __name__ == "__main__":
    main()
