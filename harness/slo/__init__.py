"""SLOs: parse objectives, measure them over a run's records, decide verdicts."""

from harness.slo.spec import MEASURES, MeasureInfo, SLOSpec, parse_slo

__all__ = ["MEASURES", "MeasureInfo", "SLOSpec", "parse_slo"]
