"""Readers of a run directory's evidence: request records, LLM ledger, tool calls, faults."""

from harness.measure.run_data import RunData, load_run, read_jsonl

__all__ = ["RunData", "load_run", "read_jsonl"]
