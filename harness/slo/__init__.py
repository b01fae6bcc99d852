"""SLOs: parse objectives, measure them over a run's records, decide verdicts.

    from harness.slo import evaluate, parse_slo
    report = evaluate({"availability": ">= 99.9%", "latency_p95[tenant=acme]": "<= 5s"}, data)
    report.write(run_dir)  # slo.json
"""

from harness.slo.evaluate import SLOReport, SLOResult, Verdict, evaluate
from harness.slo.registry import MEASURES, MeasureInfo, measure
from harness.slo.spec import SLOSpec, parse_slo

__all__ = [
    "MEASURES",
    "MeasureInfo",
    "SLOReport",
    "SLOResult",
    "SLOSpec",
    "Verdict",
    "evaluate",
    "measure",
    "parse_slo",
]
