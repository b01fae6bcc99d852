"""Reduce a run's records to the small tables a report shows.

Everything here is vectorised pandas/numpy and returns at most a few hundred rows, whatever the
run's size: a 1,000,000-request run becomes ~240 time buckets, a 40-bin histogram and a few
breakdown rows. Times are offsets in seconds from the run's start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from harness.measure import RunData
from harness.records import CRASH_EVENTS, RESTART_EVENTS
from harness.report.masking import mask_canaries

MAX_BUCKETS = 240
# Bucket widths a reader can reason about ("per 5 s"), smallest first.
_STEPS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600)
PERCENTILES = (0.5, 0.95, 0.99)
NONE_LABEL = "(none)"


@dataclass(frozen=True)
class Window:
    """A fault window as offsets from the run's start."""

    start: float
    end: float
    label: str  # kind@target


@dataclass(frozen=True)
class Timeline:
    """Per-bucket series; `frame` is indexed by bucket start (s) with one column per series."""

    step_s: float
    frame: pd.DataFrame  # requests, rps, failed_ps, error_rate, p50, p95, p99 (ms),
    #                      llm_calls_ps, cost_per_hour


def bucket_step(duration_s: float, max_buckets: int = MAX_BUCKETS) -> float:
    """The smallest readable bucket width that keeps the run within `max_buckets` buckets."""
    for step in _STEPS:
        if duration_s / step <= max_buckets:
            return float(step)
    return float(math.ceil(duration_s / max_buckets))


def _num(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    return pd.to_numeric(series, errors="coerce")


def _obj(series: pd.Series) -> pd.Series:
    """Plain object strings: in-memory runs may hold categoricals, files give strings."""
    return series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series


def _label(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), NONE_LABEL).astype(str)


def normalise_requests(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed columns whatever the JSON gave (None in partial records, ints as objects)."""
    out = pd.DataFrame(index=frame.index)
    out["ts_start"] = _num(frame["ts_start"])
    out["ts_end"] = _num(frame["ts_end"])
    out["latency_ms"] = _num(frame["latency_ms"])
    out["status"] = _num(frame["status"]).fillna(0).astype(int)
    ok = frame["ok"]
    if ok.dtype != bool:
        derived = (out["status"] >= 200) & (out["status"] < 300)
        ok = ok.astype("boolean").fillna(derived).astype(bool)
    out["ok"] = ok
    out["error"] = _obj(frame["error"])
    out["tenant"] = _label(frame["tenant"])
    out["task"] = _label(frame["task"])
    out["request_id"] = _obj(frame["request_id"])
    out["llm_calls"] = _num(frame["llm_calls"])
    out["cost_usd"] = _num(frame["cost_usd"])
    out["degraded"] = frame["degraded"].astype("boolean").fillna(False).astype(bool)
    out["attack_id"] = _obj(frame["attack_id"])
    out["attack_category"] = _obj(frame["attack_category"])
    out["leaked_canaries"] = frame["leaked_canaries"]
    out = out[out["ts_start"].notna()]
    return out


def run_bounds(data: RunData, requests: pd.DataFrame) -> tuple[float, float]:
    """(t0, duration_s): the scenario's timeline from run.json (`load_started`, t = 0 of the
    faults' schedule, then `started`), else from the records themselves."""
    run = data.run
    t0 = run.get("load_started") or run.get("started")
    if t0 is None:
        candidates = [requests["ts_start"].min()] if len(requests) else []
        if not data.faults.empty:
            candidates.append(_num(data.faults["ts"]).min())
        candidates = [c for c in candidates if pd.notna(c)]
        t0 = min(candidates) if candidates else 0.0
    t0 = float(t0)
    end = run.get("load_ended") if run.get("load_started") else run.get("ended")
    # A run still "running" in run.json was killed: its scheduled duration never happened.
    if end is None and run.get("duration_s") is not None and run.get("status") != "running":
        end = t0 + float(run["duration_s"])
    # Buckets are by start time, so the last start (not the last end) bounds the timeline.
    last = float(requests["ts_start"].max()) if len(requests) else t0
    if pd.isna(last):
        last = t0
    end = max(float(end) if end is not None else t0, last)
    return t0, max(end - t0, 0.0)


@dataclass(frozen=True)
class StackMark:
    """A stack event as an offset from the run's start; `kind` is crash, restart or other."""

    t: float
    process: str
    event: str
    kind: str
    detail: str


def stack_marks(events: pd.DataFrame, t0: float) -> list[StackMark]:
    """Every stack event (stack_events.jsonl), oldest first; crashes and restarts are what
    the timelines mark."""
    if events.empty:
        return []
    marks = []
    for row in events.sort_values("ts", kind="stable").to_dict("records"):
        ts = pd.to_numeric(row.get("ts"), errors="coerce")
        if pd.isna(ts):
            continue
        event = str(row.get("event"))
        kind = ("crash" if event in CRASH_EVENTS
                else "restart" if event in RESTART_EVENTS else "other")  # fmt: skip
        facts = [f"exit code {int(row['code'])}" if _present(row.get("code")) else "",
                 str(row["error"]) if _present(row.get("error")) else ""]
        marks.append(StackMark(float(ts) - t0, str(row.get("process")), event, kind,
                               mask_canaries("; ".join(f for f in facts if f))))
    return marks


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def fault_windows(data: RunData, t0: float) -> list[Window]:
    return [Window(s - t0, e - t0, label) for s, e, label in data.fault_windows()]


def in_windows(ts: np.ndarray, windows: list[Window]) -> np.ndarray:
    mask = np.zeros(len(ts), dtype=bool)
    for w in windows:
        mask |= (ts >= w.start) & (ts < w.end)
    return mask


def timeline(
    requests: pd.DataFrame, llm_calls: pd.DataFrame, t0: float, duration_s: float,
    max_buckets: int = MAX_BUCKETS,
) -> Timeline:
    """Bucket requests by start time and LLM calls by ledger time."""
    step = bucket_step(max(duration_s, 1e-9), max_buckets)
    n_buckets = max(1, math.ceil(duration_s / step))
    index = pd.Index(np.arange(n_buckets) * step, name="t")
    frame = pd.DataFrame(index=index)

    bucket = np.clip(((requests["ts_start"] - t0) // step).astype(int), 0, n_buckets - 1)
    grouped = requests.groupby(bucket.to_numpy())
    counts = grouped.size().reindex(range(n_buckets), fill_value=0).to_numpy()
    failed = (~requests["ok"]).groupby(bucket.to_numpy()).sum()
    failed = failed.reindex(range(n_buckets), fill_value=0).to_numpy()
    frame["requests"] = counts
    frame["rps"] = counts / step
    frame["failed_ps"] = failed / step
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["error_rate"] = np.where(counts > 0, failed / np.maximum(counts, 1), np.nan)
    if len(requests):
        quant = grouped["latency_ms"].quantile(list(PERCENTILES)).unstack()
        quant = quant.reindex(range(n_buckets))
        for p in PERCENTILES:
            frame[f"p{round(p * 100)}"] = quant[p].to_numpy() if p in quant else np.nan
    else:
        for p in PERCENTILES:
            frame[f"p{round(p * 100)}"] = np.nan

    calls_ps, cost_ph = _llm_series(requests, llm_calls, t0, step, n_buckets, bucket)
    frame["llm_calls_ps"] = calls_ps
    frame["cost_per_hour"] = cost_ph
    return Timeline(step_s=step, frame=frame)


def _llm_series(
    requests: pd.DataFrame, llm_calls: pd.DataFrame, t0: float, step: float, n_buckets: int,
    request_bucket: pd.Series,
) -> tuple[np.ndarray, np.ndarray]:
    """LLM calls/s and cost/hour from the ledger; from the request records when there is none
    (an agent talking to the real API leaves no ledger, only its response headers)."""
    ts = _num(llm_calls["ts"]) if not llm_calls.empty else pd.Series(dtype=float)
    if ts.notna().any():
        keep = ts.notna()
        b = np.clip(((ts[keep] - t0) // step).astype(int), 0, n_buckets - 1).to_numpy()
        calls = np.bincount(b, minlength=n_buckets)[:n_buckets]
        cost = np.bincount(b, weights=_num(llm_calls["cost_usd"])[keep].fillna(0).to_numpy(),
                           minlength=n_buckets)[:n_buckets]
    else:
        b = request_bucket.to_numpy()
        calls = np.bincount(b, weights=requests["llm_calls"].fillna(0).to_numpy(),
                            minlength=n_buckets)[:n_buckets]
        cost = np.bincount(b, weights=requests["cost_usd"].fillna(0).to_numpy(),
                           minlength=n_buckets)[:n_buckets]
    return calls / step, cost / step * 3600.0


@dataclass(frozen=True)
class Histogram:
    edges: np.ndarray  # ms, log-spaced
    ok: np.ndarray
    failed: np.ndarray


def latency_histogram(requests: pd.DataFrame, bins: int = 40) -> Histogram | None:
    lat = requests["latency_ms"].to_numpy(dtype=float)
    good = np.isfinite(lat) & (lat > 0)
    if not good.any():
        return None
    lo, hi = lat[good].min(), lat[good].max()
    if hi <= lo:
        hi = lo * 1.01 + 1
    edges = np.geomspace(lo, hi, bins + 1)
    ok = requests["ok"].to_numpy()[good]
    return Histogram(
        edges=edges,
        ok=np.histogram(lat[good][ok], edges)[0],
        failed=np.histogram(lat[good][~ok], edges)[0],
    )


def breakdown(requests: pd.DataFrame, by: str) -> list[dict[str, Any]]:
    """One row per value of `by`: requests, error rate, latency percentiles, calls, cost."""
    if requests.empty:
        return []
    grouped = requests.groupby(by, sort=True)
    table = pd.DataFrame({
        "n": grouped.size(),
        "failed": (~requests["ok"]).groupby(requests[by]).sum(),
        "degraded": requests["degraded"].groupby(requests[by]).sum(),
        "llm_calls": grouped["llm_calls"].mean(),
        "cost_usd": grouped["cost_usd"].sum(min_count=1),
    })
    quant = grouped["latency_ms"].quantile(list(PERCENTILES)).unstack()
    for p in PERCENTILES:
        table[f"p{round(p * 100)}"] = quant[p]
    table["error_rate"] = table["failed"] / table["n"]
    table = table.reset_index(names="key")
    return _records(table)


def status_breakdown(requests: pd.DataFrame, top: int = 12) -> list[dict[str, Any]]:
    """Requests by HTTP status and error text, most frequent first; the tail folds into one row."""
    if requests.empty:
        return []
    errors = requests["error"].astype(object).where(requests["error"].notna(), "")
    keys = pd.DataFrame({"status": requests["status"], "error": errors.astype(str)})
    counts = keys.value_counts(sort=True).reset_index(name="n")
    total = int(counts["n"].sum())
    rows = []
    for row in counts.head(top).to_dict("records"):
        rows.append({
            "status": int(row["status"]),
            "error": mask_canaries(str(row["error"])[:160]),
            "n": int(row["n"]),
            "share": row["n"] / total,
        })
    rest = counts.iloc[top:]
    if len(rest):
        n = int(rest["n"].sum())
        rows.append({"status": None, "error": f"{len(rest)} other kinds", "n": n,
                     "share": n / total})
    return rows


def _calls_per_request(requests: pd.DataFrame, llm_calls: pd.DataFrame) -> pd.Series:
    """LLM calls per request: the record's own count, else ledger rows by correlation id."""
    calls = requests["llm_calls"]
    if calls.notna().any() or llm_calls.empty:
        return calls
    per_id = llm_calls.groupby("correlation_id").size()
    return requests["request_id"].map(per_id).fillna(0).astype(float)


def retry_amplification(
    requests: pd.DataFrame, llm_calls: pd.DataFrame, windows: list[Window], t0: float,
) -> dict[str, Any] | None:
    """LLM calls per user request inside fault windows versus outside them."""
    if requests.empty:
        return None
    calls = _calls_per_request(requests, llm_calls)
    inside = in_windows((requests["ts_start"] - t0).to_numpy(), windows)

    def side(mask: np.ndarray) -> dict[str, Any]:
        values = calls[mask].dropna()
        return {
            "n": int(mask.sum()),
            "mean": float(values.mean()) if len(values) else None,
            "p95": float(values.quantile(0.95)) if len(values) else None,
            "max": float(values.max()) if len(values) else None,
        }

    result = {"inside": side(inside), "outside": side(~inside), "ratio": None,
              "has_windows": bool(windows)}
    a, b = result["inside"]["mean"], result["outside"]["mean"]
    if a is not None and b:
        result["ratio"] = a / b
    if not llm_calls.empty:
        status = _num(llm_calls["status"])
        result["llm_failed_share"] = float(((status < 200) | (status >= 300)).mean())
    return result


def _has_items(value: Any) -> bool:
    return isinstance(value, list | tuple | np.ndarray) and len(value) > 0


def leaks(requests: pd.DataFrame, t0: float, limit: int = 50) -> tuple[int, list[dict[str, Any]]]:
    """(count, first `limit` leaking requests with masked canaries as evidence)."""
    if requests.empty:
        return 0, []
    leaked = requests["leaked_canaries"].map(_has_items).astype(bool)
    rows = []
    for rec in requests[leaked].head(limit).to_dict("records"):
        canaries = [mask_canaries(str(c)) for c in rec["leaked_canaries"]]
        rows.append({
            "t": rec["ts_start"] - t0,
            "request_id": rec["request_id"],
            "tenant": rec["tenant"],
            "task": rec["task"],
            "attack_id": rec["attack_id"],
            "attack_category": rec["attack_category"],
            "canaries": canaries,
            "status": rec["status"],
        })
    return int(leaked.sum()), rows


def attacks(requests: pd.DataFrame) -> list[dict[str, Any]]:
    """Per attack id: how many were sent, blocked (no leak) and leaked."""
    if requests.empty:
        return []
    sent = requests[requests["attack_id"].notna()]
    if sent.empty:
        return []
    leaked = sent["leaked_canaries"].map(_has_items).astype(bool)
    table = pd.DataFrame({
        "attack_id": sent["attack_id"].astype(str),
        "category": _label(sent["attack_category"]),
        "leaked": leaked,
        "failed": ~sent["ok"],
    })
    grouped = table.groupby(["category", "attack_id"], sort=True)
    out = pd.DataFrame({
        "n": grouped.size(),
        "leaked": grouped["leaked"].sum(),
        "failed": grouped["failed"].sum(),
    }).reset_index()
    out["blocked"] = out["n"] - out["leaked"]
    return _records(out)


def unauthorized_tools(tool_calls: pd.DataFrame) -> list[dict[str, Any]]:
    """Tool calls the tool server refused, by tenant and requested tenant: blocked reads."""
    if tool_calls.empty:
        return []
    refused = tool_calls[tool_calls["authorized"].astype("boolean").fillna(True) == False]  # noqa: E712
    if refused.empty:
        return []
    keys = pd.DataFrame({
        "tool": _label(refused["tool"]),
        "tenant": _label(refused["tenant"]),
        "requested_tenant": _label(refused["requested_tenant"]),
    })
    return _records(keys.value_counts().reset_index(name="n"))


def totals(requests: pd.DataFrame, llm_calls: pd.DataFrame, duration_s: float) -> dict[str, Any]:
    n = len(requests)
    failed = int((~requests["ok"]).sum()) if n else 0
    lat = requests["latency_ms"].dropna() if n else pd.Series(dtype=float)
    cost = requests["cost_usd"].sum(min_count=1) if n else None
    if (cost is None or pd.isna(cost)) and not llm_calls.empty:
        cost = _num(llm_calls["cost_usd"]).sum(min_count=1)
    calls = _calls_per_request(requests, llm_calls) if n else pd.Series(dtype=float)
    return _clean({
        "requests": n,
        "failed": failed,
        "error_rate": failed / n if n else None,
        "degraded": int(requests["degraded"].sum()) if n else 0,
        "rps": n / duration_s if duration_s > 0 else None,
        "p50": lat.quantile(0.5) if len(lat) else None,
        "p95": lat.quantile(0.95) if len(lat) else None,
        "p99": lat.quantile(0.99) if len(lat) else None,
        "llm_calls": len(llm_calls) if not llm_calls.empty else calls.sum(min_count=1),
        "llm_calls_per_request": calls.mean() if len(calls) else None,
        "cost_usd": cost,
        "cost_per_request": (cost / n) if n and cost is not None and pd.notna(cost) else None,
    })


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """numpy scalars -> Python, NaN -> None: templates and JSON both want plain values."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            value = None
        out[key] = value
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_clean(r) for r in frame.to_dict("records")]
