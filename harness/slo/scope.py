"""A run's records prepared once for many SLOs: joins, phases and selector masks.

Every measure starts from the user requests. The LLM ledger and the tool log are tied to a
request by `correlation_id == request_id`; per-request sums (LLM calls, cost, tokens) are
computed once here, so a selector narrows the ledger by narrowing the requests. Ledger rows
whose correlation id matches no request are counted only by an SLO without row selectors.

Refusals (selector `refusals=exclude`): requests the agent refused because their tenant was
over its own quota, i.e. whose `error` is `QUOTA_REFUSAL` (HTTP 429, error type
rate_limit_error), are left out of the selection.

Phases (selector `during`) partition the requests by `ts_start`:
  faults    inside any fault window (applied .. reverted; a fault never reverted lasts to the end)
  recovery  after the last fault window ended
  baseline  everything else (before the first fault and between faults); all requests when the
            run had no faults
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from harness.measure import RunData

__all__ = ["PHASES", "QUOTA_REFUSAL", "Scope", "phases", "tenant_regions"]

QUOTA_REFUSAL = "HTTP 429: rate_limit_error"
"""A request record's `error` when the agent refused a tenant over its own quota."""


def tenant_regions(run: dict[str, Any]) -> dict[str, str]:
    """Tenant -> home region, from `run["tenants"]` (the runner records every tenant of the
    agent under test there); {} when the run does not say."""
    tenants = run.get("tenants")
    if isinstance(tenants, dict) and tenants:
        return {name: str((info or {}).get("region")) for name, info in tenants.items()}
    return {}


def _strings(series: pd.Series) -> np.ndarray:
    """An object array of str-or-None (pandas may hold NaN or a string dtype)."""
    return series.astype(object).where(series.notna(), None).to_numpy(dtype=object)


def _bools(series: pd.Series) -> np.ndarray:
    return series.fillna(False).astype(bool).to_numpy()


def _numbers(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


@dataclass
class Scope:
    """Numpy views of one run, with cached masks per selector set."""

    data: RunData
    windows: list[tuple[float, float]]
    start: float
    end: float
    regions: dict[str, str]
    # Per request (aligned with data.requests order).
    ts: np.ndarray = field(repr=False)
    ok: np.ndarray = field(repr=False)
    degraded: np.ndarray = field(repr=False)
    latency_s: np.ndarray = field(repr=False)
    tenant: np.ndarray = field(repr=False)
    phase: np.ndarray = field(repr=False)  # PHASES codes
    leaked: np.ndarray = field(repr=False)  # number of canaries found in the reply
    calls: np.ndarray = field(repr=False)  # ledger calls joined to the request
    cost: np.ndarray = field(repr=False)
    cache_read: np.ndarray = field(repr=False)
    input_all: np.ndarray = field(repr=False)
    # Ledger rows that match no request (counted only without row selectors).
    orphan_cost: float = 0.0
    orphan_cache_read: float = 0.0
    orphan_input_all: float = 0.0
    orphan_calls: int = 0
    _masks: dict[tuple[tuple[str, str], ...], np.ndarray] = field(default_factory=dict,
                                                                 repr=False)
    _index: pd.Index | None = field(default=None, repr=False)
    _index_positions: np.ndarray | None = field(default=None, repr=False)
    _tool_positions: np.ndarray | None = field(default=None, repr=False)
    _in_flight: Scope | None = field(default=None, repr=False)

    @classmethod
    def build(cls, data: RunData) -> Scope:
        req = data.requests
        ts = _numbers(req["ts_start"])
        ts_end = _numbers(req["ts_end"])
        latency = _numbers(req["latency_ms"]) / 1000.0
        # A record without latency_ms (e.g. no response) still took ts_end - ts_start.
        latency = np.where(np.isnan(latency), ts_end - ts, latency)
        run = data.run
        start = float(run.get("started") or (np.nanmin(ts) if ts.size else 0.0))
        end = float(run.get("ended") or (np.nanmax(ts_end) if ts.size else start))
        windows = [(s, e) for s, e, _ in data.fault_windows()]
        phase = phases(ts, windows)
        # .str.len() counts list items without a Python-level lambda per row.
        leaked = (req["leaked_canaries"].astype(object).str.len().fillna(0)
                  .to_numpy(dtype=np.int64) if len(req) else np.zeros(0, dtype=np.int64))
        scope = cls(
            data=data, windows=windows, start=start, end=end,
            regions=tenant_regions(run), ts=ts, ok=_bools(req["ok"]),
            degraded=_bools(req["degraded"]), latency_s=latency,
            tenant=_strings(req["tenant"]), phase=phase, leaked=leaked,
            calls=np.zeros(len(req), dtype=np.int64), cost=np.zeros(len(req)),
            cache_read=np.zeros(len(req)), input_all=np.zeros(len(req)),
        )
        scope._join_ledger()
        return scope

    def _join_ledger(self) -> None:
        ledger = self.data.llm_calls
        if ledger.empty:
            return
        cache_read = np.nan_to_num(_numbers(ledger["cache_read_input_tokens"]))
        input_all = (np.nan_to_num(_numbers(ledger["input_tokens"]))
                     + np.nan_to_num(_numbers(ledger["cache_creation_input_tokens"]))
                     + cache_read)
        cost = np.nan_to_num(_numbers(ledger["cost_usd"]))
        pos = self.request_positions(ledger["correlation_id"])
        hit = pos >= 0
        n = len(self.ts)
        self.calls = np.bincount(pos[hit], minlength=n).astype(np.int64)
        self.cost = np.bincount(pos[hit], weights=cost[hit], minlength=n)
        self.cache_read = np.bincount(pos[hit], weights=cache_read[hit], minlength=n)
        self.input_all = np.bincount(pos[hit], weights=input_all[hit], minlength=n)
        self.orphan_calls = int((~hit).sum())
        self.orphan_cost = float(cost[~hit].sum())
        self.orphan_cache_read = float(cache_read[~hit].sum())
        self.orphan_input_all = float(input_all[~hit].sum())

    def request_positions(self, correlation_ids: pd.Series) -> np.ndarray:
        """Row position of the request each correlation id names, -1 when none."""
        if self._index is None:
            # A duplicated request id keeps its first row (get_indexer needs unique labels).
            ids = pd.Index(self.data.requests["request_id"].astype(object))
            self._index = ids if ids.is_unique else ids.drop_duplicates(keep="first")
            self._index_positions = (None if ids.is_unique
                                     else np.flatnonzero(~ids.duplicated(keep="first")))
        found = self._index.get_indexer(correlation_ids.astype(object))
        if self._index_positions is None or found.size == 0:
            return found
        positions = self._index_positions
        return np.where(found >= 0, positions[np.maximum(found, 0)], -1)

    def joined(self, record: str) -> tuple[int, int]:
        """(rows, rows tied to a request) of the LLM ledger or the tool log."""
        if record == "llm_calls":
            joined = int(self.calls.sum())
            return joined + self.orphan_calls, joined
        positions = self.tool_positions()
        return int(positions.size), int((positions >= 0).sum())

    def tool_positions(self) -> np.ndarray:
        """request_positions of the tool log, computed once."""
        if self._tool_positions is None:
            self._tool_positions = self.request_positions(self.data.tool_calls["correlation_id"])
        return self._tool_positions

    @property
    def in_flight(self) -> Scope:
        """The same view of the requests still in flight when the load stopped."""
        if self._in_flight is None:
            self._in_flight = Scope.build(
                replace(self.data, requests=self.data.in_flight,
                        in_flight=self.data.in_flight.iloc[:0])
            )  # fmt: skip
        return self._in_flight

    def mask(self, filters: dict[str, str]) -> np.ndarray:
        """Boolean mask over requests for row selectors (tenant, task, during, attack, region)."""
        key = tuple(sorted(filters.items()))
        cached = self._masks.get(key)
        if cached is not None:
            return cached
        req = self.data.requests
        mask = np.ones(len(req), dtype=bool)
        for name, value in key:
            if name == "tenant":
                mask &= self.tenant == value
            elif name == "task":
                mask &= (req["task"] == value).to_numpy(dtype=bool, na_value=False)
            elif name == "during":
                mask &= self.phase == PHASES.index(value)
            elif name == "attack":
                has_attack = req["attack_id"].notna().to_numpy()
                mask &= has_attack if value == "true" else ~has_attack
            elif name == "region":
                in_region = [t for t, r in self.regions.items() if r == value]
                mask &= req["tenant"].isin(in_region).to_numpy(dtype=bool)
            elif name == "refusals" and value == "exclude":
                mask &= ~(req["error"] == QUOTA_REFUSAL).to_numpy(dtype=bool, na_value=False)
        self._masks[key] = mask
        return mask

    def period_s(self, filters: dict[str, str]) -> float:
        """Seconds the selection covers: the run, or the part of it a `during` names."""
        total = max(0.0, self.end - self.start)
        during = filters.get("during")
        if during is None:
            return total
        fault = _union_length([(max(s, self.start), min(e, self.end)) for s, e in self.windows])
        recovery = max(0.0, self.end - self.last_revert) if self.windows else 0.0
        return {"faults": fault, "recovery": recovery,
                "baseline": max(0.0, total - fault - recovery)}[during]

    @property
    def last_revert(self) -> float:
        return max(e for _, e in self.windows) if self.windows else math.nan



PHASES = ("baseline", "faults", "recovery")


def phases(ts: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    """Phase code (index into PHASES) of each timestamp."""
    phase = np.zeros(ts.shape, dtype=np.int8)
    if windows:
        phase[ts >= max(e for _, e in windows)] = PHASES.index("recovery")
        for s, e in windows:
            phase[(ts >= s) & (ts < e)] = PHASES.index("faults")
    return phase


def _union_length(intervals: list[tuple[float, float]]) -> float:
    total, reach = 0.0, -math.inf
    for s, e in sorted(intervals):
        if e <= s:
            continue
        if s > reach:
            total += e - s
            reach = e
        elif e > reach:
            total += e - reach
            reach = e
    return total
