"""Load a run directory (see docs/contracts.md) into pandas DataFrames."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from harness.measure.jsonl import read_frame, read_jsonl, with_columns

REQUEST_COLUMNS = [
    "ts_start", "ts_end", "latency_ms", "status", "ok", "error", "tenant", "task",
    "request_id", "llm_calls", "cost_usd", "degraded", "model", "attack_id",
    "attack_category", "leaked_canaries", "user",
]
LLM_CALL_COLUMNS = [
    "ts", "request_id", "correlation_id", "tenant", "model", "region", "stream", "status",
    "error_type", "input_tokens", "output_tokens", "cache_creation_input_tokens",
    "cache_read_input_tokens", "cost_usd", "latency_ms", "stop_reason", "tool_calls", "upstream",
]
TOOL_CALL_COLUMNS = [
    "ts", "tool", "tenant", "requested_tenant", "correlation_id", "authorized", "status",
    "latency_ms",
]
FAULT_COLUMNS = ["ts", "event", "index", "kind", "target", "params", "at_s", "for_s", "error"]
RECORDS = ("requests", "llm_calls", "tool_calls", "alerts")
"""The record files `RunData.present` names (`requests` for requests.jsonl and its per-worker
parts, and so on): a measure whose file is absent has no data, which is not a zero."""
IN_FLIGHT_ERROR = "InFlightAtEnd"
"""The `error` of a request still unanswered when the load stopped (status 0): its outcome is
unknown, so it is kept apart from the answered requests (`RunData.in_flight`)."""


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return with_columns(pd.DataFrame(rows), columns)


def split_in_flight(requests: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(answered requests, requests in flight when the load stopped), original order kept."""
    pending = (requests["error"] == IN_FLIGHT_ERROR).to_numpy(dtype=bool, na_value=False)
    if not pending.any():
        return requests, requests.iloc[:0]
    return (requests[~pending].reset_index(drop=True),
            requests[pending].reset_index(drop=True))


def _paths(run_dir: Path, stem: str) -> list[Path]:
    """`stem.jsonl` plus `stem.*.jsonl` (one per Locust worker), in name order."""
    return sorted(run_dir.glob(f"{stem}.jsonl")) + sorted(run_dir.glob(f"{stem}.*.jsonl"))


@dataclass
class RunData:
    """Everything a run recorded, as DataFrames (empty frames keep their columns).

    `requests` holds the answered requests (failures included); requests still in flight
    when the load stopped are in `in_flight` (latency_ms: how long they had waited)."""

    run_dir: Path | None
    requests: pd.DataFrame
    llm_calls: pd.DataFrame
    tool_calls: pd.DataFrame
    faults: pd.DataFrame
    run: dict[str, Any] = field(default_factory=dict)
    slo: dict[str, Any] | None = None
    # Firing episodes from Prometheus (alerts.jsonl); None when the run had no Prometheus.
    alerts: list[dict[str, Any]] | None = None
    in_flight: pd.DataFrame = field(default_factory=lambda: _frame([], REQUEST_COLUMNS))
    # Which of RECORDS the run had (load_run: the files that existed). Built by hand: the
    # frames given count as present, `alerts` when it is not None.
    present: frozenset[str] = frozenset({"requests", "llm_calls", "tool_calls"})

    @classmethod
    def from_records(
        cls,
        requests: list[dict[str, Any]],
        llm_calls: list[dict[str, Any]] | None = None,
        tool_calls: list[dict[str, Any]] | None = None,
        faults: list[dict[str, Any]] | None = None,
        run: dict[str, Any] | None = None,
        alerts: list[dict[str, Any]] | None = None,
        present: Iterable[str] | None = None,
    ) -> RunData:
        """`present` defaults to the records given (not None); pass it to say otherwise."""
        if present is None:
            given = {"llm_calls": llm_calls, "tool_calls": tool_calls, "alerts": alerts}
            present = {"requests", *(name for name, rows in given.items() if rows is not None)}
        answered, in_flight = split_in_flight(_frame(requests, REQUEST_COLUMNS))
        return cls(
            run_dir=None,
            requests=answered,
            in_flight=in_flight,
            llm_calls=_frame(llm_calls or [], LLM_CALL_COLUMNS),
            tool_calls=_frame(tool_calls or [], TOOL_CALL_COLUMNS),
            faults=_frame(faults or [], FAULT_COLUMNS),
            run=run or {},
            alerts=alerts,
            present=frozenset(present),
        )

    def fault_windows(self) -> list[tuple[float, float, str]]:
        """(start, end, label) of each applied fault, in epoch seconds; open ones end at run end."""
        if self.faults.empty:
            return []
        applied: dict[int, tuple[float, str]] = {}
        windows: list[tuple[float, float, str]] = []
        for row in self.faults.sort_values("ts").to_dict("records"):
            label = f"{row.get('kind')}@{row.get('target')}"
            if row["event"] == "applied":
                applied[int(row["index"])] = (float(row["ts"]), label)
            elif row["event"] in ("reverted", "revert_failed") and int(row["index"]) in applied:
                start, label = applied.pop(int(row["index"]))
                windows.append((start, float(row["ts"]), label))
        end = float(self.run.get("ended") or self.requests["ts_end"].max() or 0.0)
        for start, label in applied.values():
            windows.append((start, end, label))
        return sorted(windows)


FrameReader = Callable[[Sequence[Path], Sequence[str]], pd.DataFrame]


def load_run(run_dir: str | Path) -> RunData:
    """Read a run directory; missing files give empty frames, so a killed run still loads."""
    return _load(Path(run_dir), read_frame)


def _load(run_dir: Path, reader: FrameReader) -> RunData:
    """`load_run` with the JSON-lines reader chosen (bench/load_run.py times both)."""
    run_path, slo_path = run_dir / "run.json", run_dir / "slo.json"
    alerts_path = run_dir / "alerts.jsonl"
    answered, in_flight = split_in_flight(reader(_paths(run_dir, "requests"), REQUEST_COLUMNS))
    return RunData(
        run_dir=run_dir,
        requests=answered,
        in_flight=in_flight,
        llm_calls=reader(_paths(run_dir, "llm_calls"), LLM_CALL_COLUMNS),
        tool_calls=reader(_paths(run_dir, "tool_calls"), TOOL_CALL_COLUMNS),
        # A few rows each, with dict-valued fields: the per-line reader keeps dicts exact.
        faults=_frame(read_jsonl(run_dir / "faults.jsonl"), FAULT_COLUMNS),
        run=json.loads(run_path.read_text()) if run_path.exists() else {},
        slo=json.loads(slo_path.read_text()) if slo_path.exists() else None,
        alerts=read_jsonl(alerts_path) if alerts_path.exists() else None,
        present=frozenset(name for name in RECORDS if _paths(run_dir, name)),
    )
