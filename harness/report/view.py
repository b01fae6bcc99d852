"""What a report shows about one run, computed once from its run directory.

`RunView` is the single source for report.html, compare.html, index.html and the Markdown
summary, so all four always agree on the verdict and the numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from harness.measure import RunData, load_run
from harness.report import aggregate as agg
from harness.report.masking import mask_any, mask_canaries
from harness.units import normalise_verdict
from harness.verdict import outcome

if TYPE_CHECKING:
    from harness.slo import SLOReport

# run.json keys shown in their own sections; every other key goes to "configuration".
_SHOWN_KEYS = {"scenario", "name", "title", "chapter", "description", "profile", "seed",
               "rerun", "rerun_command", "verdict", "started", "ended", "duration_s",
               "time_scale"}


@dataclass
class SLORow:
    name: str
    objective: str
    op: str
    value: float | None
    unit: str
    ci_low: float | None
    ci_high: float | None
    n: int | None
    verdict: str
    budget_remaining: float | None
    description: str


@dataclass
class FaultRow:
    index: int | None
    label: str
    params: dict[str, Any]
    scheduled_at: float | None
    scheduled_for: float | None
    applied: float | None
    reverted: float | None
    errors: list[str] = field(default_factory=list)


class _Outcome:
    """Verdict helpers shared by the full view of a run and its light summary."""

    run: dict[str, Any]
    verdict: str
    slo_rows: list[SLORow]

    @property
    def expected(self) -> str | None:
        """The verdict the scenario's `expect` names for this profile (naive: fail), if any."""
        value = self.run.get("expected")
        return str(value) if value else None

    @property
    def outcome(self) -> str:
        """What the run means for a suite: with an expectation, pass iff the verdict equals
        it (a naive run that fails proves the scenario has teeth); without one, its verdict."""
        return outcome(self.verdict, self.expected)

    @property
    def failed_slos(self) -> list[SLORow]:
        return [r for r in self.slo_rows if r.verdict == "fail"]


@dataclass
class RunView(_Outcome):
    run_dir: Path | None
    name: str
    run: dict[str, Any]
    verdict: str
    verdict_reason: str
    slo_present: bool
    strict: bool
    slo_rows: list[SLORow]
    t0: float
    duration_s: float
    totals: dict[str, Any]
    timeline: agg.Timeline | None
    windows: list[agg.Window]
    faults: list[FaultRow]
    histogram: agg.Histogram | None
    by_task: list[dict[str, Any]]
    by_tenant: list[dict[str, Any]]
    by_status: list[dict[str, Any]]
    amplification: dict[str, Any] | None
    leak_count: int
    leak_rows: list[dict[str, Any]]
    attacks: list[dict[str, Any]]
    unauthorized: list[dict[str, Any]]
    notes: list[str]
    stack_marks: list[agg.StackMark] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.run.get("title") or self.scenario)

    @property
    def scenario(self) -> str:
        return str(self.run.get("scenario") or self.run.get("name") or self.name)

    @property
    def profile(self) -> str | None:
        return self.run.get("profile")

    @property
    def rerun(self) -> str | None:
        return self.run.get("rerun") or self.run.get("rerun_command")

    @property
    def config(self) -> dict[str, Any]:
        return {k: v for k, v in self.run.items() if k not in _SHOWN_KEYS}



def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(out) else out


def _slo_rows(slo: dict[str, Any] | None) -> list[SLORow]:
    rows = []
    for item in (slo or {}).get("slos", []) or []:
        n = item.get("n")
        rows.append(SLORow(
            name=mask_canaries(str(item.get("name", "?"))),
            objective=str(item.get("objective", "")),
            op=str(item.get("op") or ""),
            value=_float(item.get("value")),
            unit=str(item.get("unit") or ""),
            ci_low=_float(item.get("ci_low")),
            ci_high=_float(item.get("ci_high")),
            n=int(n) if isinstance(n, int | float) and not pd.isna(n) else None,
            verdict=normalise_verdict(item.get("verdict")),
            budget_remaining=_float(item.get("budget_remaining")),
            description=mask_canaries(str(item.get("description") or "")),
        ))
    return rows


def _verdict(
    slo: dict[str, Any] | None, run: dict[str, Any], rows: list[SLORow],
) -> tuple[str, str]:
    """The run's verdict and one sentence saying where it comes from."""
    if slo is None:
        recorded = run.get("verdict")
        if recorded:
            return normalise_verdict(recorded), "from run.json; slo.json is missing"
        return "inconclusive", ("no slo.json: the run did not finish (killed or crashed?), "
                                "so no SLO was evaluated; the evidence below is what it recorded")
    verdict = normalise_verdict(slo.get("verdict"))
    failed = sum(r.verdict == "fail" for r in rows)
    unsure = sum(r.verdict == "inconclusive" for r in rows)
    if not rows:
        return verdict, "slo.json lists no SLO"
    parts = [f"{len(rows) - failed - unsure} of {len(rows)} SLOs met"]
    if failed:
        parts.append(f"{failed} missed")
    if unsure:
        parts.append(f"{unsure} inconclusive")
    if slo.get("strict"):
        parts.append("strict: the whole 95% interval must meet the objective")
    return verdict, ", ".join(parts)


@dataclass
class RunSummary(_Outcome):
    """The light view of a run (run.json and slo.json only) for suite indexes and CI text."""

    run_dir: Path
    run: dict[str, Any]
    verdict: str
    verdict_reason: str
    slo_present: bool
    slo_rows: list[SLORow]

    @property
    def name(self) -> str:
        return self.run_dir.name

    @property
    def scenario(self) -> str:
        return str(self.run.get("scenario") or self.run.get("name") or self.name)

    @property
    def title(self) -> str:
        return str(self.run.get("title") or self.scenario)

    @property
    def profile(self) -> str | None:
        return self.run.get("profile")



def _read_json(path: Path) -> dict[str, Any] | None:
    """A JSON file, or None when absent or torn (the writer was killed mid-write)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def summarise(run_dir: str | Path) -> RunSummary:
    run_dir = Path(run_dir)
    run = _read_json(run_dir / "run.json") or {}
    slo = _read_json(run_dir / "slo.json")
    rows = _slo_rows(slo)
    verdict, reason = _verdict(slo, run, rows)
    return RunSummary(run_dir, mask_any(run), verdict, reason, slo is not None, rows)


def _fault_rows(faults: pd.DataFrame, t0: float) -> list[FaultRow]:
    if faults.empty:
        return []
    rows: dict[Any, FaultRow] = {}
    for ev in faults.sort_values("ts", kind="stable").to_dict("records"):
        key = ev.get("index")
        key = int(key) if _float(key) is not None else f"?{len(rows)}"
        row = rows.get(key)
        if row is None:
            params = ev.get("params") if isinstance(ev.get("params"), dict) else {}
            row = rows[key] = FaultRow(
                index=key if isinstance(key, int) else None,
                label=f"{ev.get('kind')}@{ev.get('target')}",
                params=mask_any(params),
                scheduled_at=_float(ev.get("at_s")),
                scheduled_for=_float(ev.get("for_s")),
                applied=None,
                reverted=None,
            )
        ts = _float(ev.get("ts"))
        t = ts - t0 if ts is not None else None
        event = ev.get("event")
        if event == "applied":
            row.applied = t
        elif event in ("reverted", "revert_failed"):
            row.reverted = t
        if event in ("apply_failed", "revert_failed"):
            row.errors.append(f"{event}: {mask_canaries(str(ev.get('error') or ''))}")
    return sorted(rows.values(), key=lambda r: (r.applied is None, r.applied or 0))


def build_view(data: RunData, max_buckets: int = agg.MAX_BUCKETS) -> RunView:
    """Reduce a run to what its report shows (small, whatever the run's size)."""
    requests = agg.normalise_requests(data.requests)
    t0, duration = agg.run_bounds(data, requests)
    windows = agg.fault_windows(data, t0)
    rows = _slo_rows(data.slo)
    verdict, reason = _verdict(data.slo, data.run, rows)
    notes: list[str] = []
    if data.run_dir is not None and not (data.run_dir / "run.json").exists():
        notes.append("run.json is missing: incident, rerun command and versions are unknown.")
    if data.run.get("status") == "running":
        notes.append("run.json still says the run is running: it was killed or crashed "
                     "before the end; the evidence below is what it recorded.")
    if requests.empty:
        notes.append("No request records: the run recorded no user request.")
    if not data.in_flight.empty:
        waited = float(data.in_flight["latency_ms"].max()) / 1000.0
        notes.append(f"{len(data.in_flight)} requests were still in flight when the load stopped "
                     f"(the longest had waited {waited:.1f} s). Their outcome is unknown: they "
                     "are left out of the charts and tables, and a latency SLO counts only "
                     "those that had already waited past its objective.")
    if data.llm_calls.empty:
        notes.append("No LLM ledger (llm_calls.jsonl): LLM series come from the request records.")
    leak_count, leak_rows = agg.leaks(requests, t0)
    fault_rows = _fault_rows(data.faults, t0)
    marks = agg.stack_marks(data.stack_events, t0)
    crashes = sum(m.kind == "crash" for m in marks)
    if crashes:
        notes.append(f"{crashes} process crash{'es' if crashes > 1 else ''} or kill"
                     f"{'s' if crashes > 1 else ''}: see the stack events and the timelines.")
    if any(r.errors for r in fault_rows):
        notes.append("Some faults failed to apply or revert: see the fault table.")
    return RunView(
        run_dir=data.run_dir,
        name=data.run_dir.name if data.run_dir else str(data.run.get("scenario", "run")),
        run=mask_any(dict(data.run)),
        verdict=verdict,
        verdict_reason=reason,
        slo_present=data.slo is not None,
        strict=bool((data.slo or {}).get("strict")),
        slo_rows=rows,
        t0=t0,
        duration_s=duration,
        totals=agg.totals(requests, data.llm_calls, duration),
        timeline=(agg.timeline(requests, data.llm_calls, t0, duration, max_buckets)
                  if not requests.empty else None),
        windows=windows,
        faults=fault_rows,
        histogram=agg.latency_histogram(requests),
        by_task=agg.breakdown(requests, "task"),
        by_tenant=agg.breakdown(requests, "tenant"),
        by_status=agg.status_breakdown(requests),
        amplification=agg.retry_amplification(requests, data.llm_calls, windows, t0),
        leak_count=leak_count,
        leak_rows=leak_rows,
        attacks=agg.attacks(requests),
        unauthorized=agg.unauthorized_tools(data.tool_calls),
        notes=notes,
        stack_marks=marks,
    )


def with_slo(data: RunData, slo: SLOReport | Mapping[str, Any] | None) -> RunData:
    """`data` with the SLO report the runner evaluated (instead of its slo.json)."""
    if slo is None:
        return data
    as_dict = slo if isinstance(slo, Mapping) else slo.to_dict()
    return replace(data, slo=dict(as_dict))


def load_view(run_dir: str | Path, max_buckets: int = agg.MAX_BUCKETS) -> RunView:
    return build_view(load_run(run_dir), max_buckets)
