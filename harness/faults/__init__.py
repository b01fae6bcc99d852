"""Faults: one small class per family, each with apply() and revert(), run by FaultScheduler.

    ctx = FaultContext(toxiproxy_url=..., llm_control={"llm": ...}, tools_url=..., processes=...)
    with FaultScheduler(scenario.faults, ctx, run_dir / "faults.jsonl"):
        ...  # load runs; leaving the block reverts whatever is still active
"""

from harness.faults.base import Fault, FaultContext, ProcessControl, build_fault, registry
from harness.faults.scheduler import FaultScheduler

__all__ = ["Fault", "FaultContext", "FaultScheduler", "ProcessControl", "build_fault", "registry"]
