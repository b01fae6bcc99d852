"""The SLO catalogue: one function per measure over a prepared `Scope`, each declared by
`@measure(...)` with its row of the measure table (`harness.slo.registry`): unit, selectors,
minimum sample, description and the record files it needs. Adding a measure is adding one
decorated function here (docs/extending.md).

Each function takes the scope, the parsed spec (its `filters` narrow the requests first, its
`params` tune the measure) and the evaluation context, and returns a `Measurement`: the value
in SI units (ratios 0..1, seconds, USD), a 95% interval, the sample size `n` it rests on, and
optional details. Intervals: Wilson for ratios of independent requests, Poisson for rates,
bootstrap (seeded) for percentiles, means and costs; counts are exact (ci = value).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from harness.slo.registry import measure
from harness.slo.scope import PHASES, Scope, phases
from harness.slo.spec import ROWS, ROWS_NO_DURING, SLOSpec
from harness.slo.stats import (
    bootstrap_ci,
    bootstrap_replicates,
    percentile_ci,
    poisson_rate_ci,
    wilson,
)

__all__ = ["Context", "Measurement"]

DEFAULT_BUDGET_TARGET = 0.999  # error_budget_remaining, burn_rate
DEFAULT_RECOVERY_TARGET = 0.99  # recovery_time
DEFAULT_BURN_WINDOW_S = 30.0
DEFAULT_BURN_MIN_REQUESTS = 10
DEFAULT_RECOVERY_WINDOW_S = 5.0
# What measures over the LLM ledger / the tool log need: the file, and rows tied to requests.
_LEDGER: dict[str, Any] = {"needs": ("requests", "llm_calls"), "joins": "llm_calls"}
_TOOL_LOG: dict[str, Any] = {"needs": ("requests", "tool_calls"), "joins": "tool_calls"}


@dataclass
class Measurement:
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    detail: dict[str, Any] = field(default_factory=dict)
    # The measure itself decided failure (e.g. recovery_time never recovered).
    failed: bool = False


@dataclass(frozen=True)
class Context:
    """What a measure may borrow from the rest of the spec set."""

    availability_target: float | None = None
    rng_for: Callable[[str], np.random.Generator] = field(
        default=lambda key: np.random.default_rng(0))


def _exact(value: float | None, n: int, **detail: Any) -> Measurement:
    return Measurement(value, value, value, n, dict(detail))


def _nothing(n: int = 0, **detail: Any) -> Measurement:
    return Measurement(None, None, None, n, dict(detail))


def _ratio(k: int, n: int) -> Measurement:
    if n == 0:
        return _nothing()
    low, high = wilson(k, n)
    return Measurement(k / n, low, high, n)


def _mean_with_offset(values: np.ndarray, offset: float, rng: np.random.Generator) -> Measurement:
    """mean(values) + offset, bootstrap interval over the values."""
    if values.size == 0:
        return _nothing()
    low, high = bootstrap_ci([values], lambda a: a[0].mean(axis=-1), rng)
    value = float(values.mean()) + offset
    return Measurement(value, low + offset, high + offset, int(values.size))


# ---- requests ---------------------------------------------------------------------------


@measure("count", ROWS, 0, "number of selected user requests", empty_is_inconclusive=False)
def requests(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Number of selected user requests."""
    n = int(scope.mask(spec.filters).sum())
    return _exact(float(n), n)


@measure("ratio", (*ROWS, "refusals"), 10,
         "ok requests / requests; a 429 is a failed request, unless refusals=exclude leaves "
         "out a tenant's refusals over its own quota (HTTP 429: rate_limit_error)")
def availability(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """ok requests / requests (ok = a 2xx answer). Wilson interval.

    A 429 is not ok, like any other refusal. With `refusals=exclude` the refusals of a tenant
    over its own quota (`error` "HTTP 429: rate_limit_error") leave the sample altogether:
    the agent kept its promise to the other tenants, the tenant asked for more than its share.
    """
    mask = scope.mask(spec.filters)
    return _ratio(int(scope.ok[mask].sum()), int(mask.sum()))


@measure("ratio", (*ROWS, "refusals"), 10, "failed (not ok) requests / requests")
def error_rate(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Failed requests (not ok) / requests. Wilson interval."""
    mask = scope.mask(spec.filters)
    return _ratio(int((~scope.ok[mask]).sum()), int(mask.sum()))


@measure("ratio", ROWS, 10, "requests answered with degraded=true / requests")
def degraded_rate(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Requests answered with degraded=true / all requests (failed included). Wilson interval."""
    mask = scope.mask(spec.filters)
    return _ratio(int(scope.degraded[mask].sum()), int(mask.sum()))


def _waited_past_objective(scope: Scope, spec: SLOSpec) -> np.ndarray:
    """Waits (s) of selected requests still in flight at the end that already broke an upper
    bound on latency: whatever their answer, they miss it. Others in flight count nowhere."""
    if spec.op not in ("<=", "<") or scope.data.in_flight.empty:
        return np.zeros(0)
    pending = scope.in_flight
    waited = pending.latency_s[pending.mask(spec.filters)]
    return waited[waited > spec.threshold if spec.op == "<=" else waited >= spec.threshold]


_PCT = ("{q}th percentile of latency_ms/1000 over all selected requests, failed ones included, "
        "and requests in flight at the end that had already waited past an upper bound")


def _latency(q: float) -> Callable[[Scope, SLOSpec, Context], Measurement]:
    def latency(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
        values = scope.latency_s[scope.mask(spec.filters)]
        values = values[~np.isnan(values)]
        late = _waited_past_objective(scope, spec)
        detail = {"in_flight_past_objective": int(late.size)} if late.size else {}
        values = np.concatenate([values, late]) if late.size else values
        if values.size == 0:
            return _nothing()
        low, high = bootstrap_ci([values], lambda a: np.quantile(a[0], q, axis=-1),
                                 ctx.rng_for(spec.name))
        return Measurement(float(np.quantile(values, q)), low, high, int(values.size), detail)

    latency.__name__ = f"latency_p{round(q * 100)}"
    latency.__doc__ = (f"{round(q * 100)}th percentile (linear interpolation) of latency_ms/1000 "
                       "over every selected request, failed ones included (a fast failure is "
                       "still what the user waited). A request still in flight when the load "
                       "stopped counts, with the time it had waited, only if that already "
                       "breaks an upper-bound objective. Bootstrap interval.")
    return latency


for _q, _min_n in ((50, 10), (90, 10), (95, 20), (99, 100)):
    measure("seconds", ROWS, _min_n, _PCT.format(q=_q))(_latency(_q / 100))

_NO_TTFT = ("no selected request has a time to first token (ttft_ms): only streamed replies "
            "have one (agent.api.stream: sse or chunked)")


def _ttft(q: float) -> Callable[[Scope, SLOSpec, Context], Measurement]:
    def ttft(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
        mask = scope.mask(spec.filters)
        column = scope.data.requests["ttft_ms"]
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)[mask] / 1000.0
        values = values[~np.isnan(values)]
        if values.size == 0:
            return _nothing(int(mask.sum()), reason=_NO_TTFT)
        low, high = bootstrap_ci([values], lambda a: np.quantile(a[0], q, axis=-1),
                                 ctx.rng_for(spec.name))
        without = int(mask.sum()) - int(values.size)
        detail = {"requests_without_ttft": without} if without else {}
        return Measurement(float(np.quantile(values, q)), low, high, int(values.size), detail)

    ttft.__name__ = f"ttft_p{round(q * 100)}"
    ttft.__doc__ = (f"{round(q * 100)}th percentile (linear interpolation) of ttft_ms/1000, the "
                    "time from sending the request to the first text of its streamed reply, "
                    "over the selected requests that got a first text (a reply that failed "
                    "before any text has none: availability judges those). No such request: "
                    "inconclusive, with the reason. Bootstrap interval.")
    return ttft


for _q, _min_n in ((50, 10), (95, 20), (99, 100)):
    measure("seconds", ROWS, _min_n,
            f"{_q}th percentile of ttft_ms/1000 (time to the first text of a streamed reply) "
            "over the selected requests that have one")(_ttft(_q / 100))


@measure("per_second", ROWS, 1,
         "requests / seconds of the selected period (run, fault windows, ...)")
def throughput(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Requests / seconds of the selected period (the run, or its fault/baseline/recovery part).

    Poisson score interval on the count."""
    n = int(scope.mask(spec.filters).sum())
    period = scope.period_s(spec.filters)
    if period <= 0:
        return _nothing(n)
    low, high = poisson_rate_ci(n, period)
    return Measurement(n / period, low, high, n, {"period_s": period})


def _budget_target(spec: SLOSpec, ctx: Context, default: float) -> float:
    return spec.params.get("target") or ctx.availability_target or default


@measure("ratio", (*ROWS, "refusals", "target"), 10,
         "1 - failed / ((1 - target) * requests); target from the selector, else the "
         "availability SLO of the same set, else 99.9%")
def error_budget_remaining(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """1 - failed / allowed failures, allowed = (1 - target) * requests.

    1 = untouched, 0 = spent, negative = overspent. Interval from the Wilson error rate."""
    target = _budget_target(spec, ctx, DEFAULT_BUDGET_TARGET)
    mask = scope.mask(spec.filters)
    n = int(mask.sum())
    if n == 0:
        return _nothing(target=target)
    failed = int((~scope.ok[mask]).sum())
    low, high = wilson(failed, n)
    budget = 1.0 - target
    return Measurement(1 - failed / n / budget, 1 - high / budget, 1 - low / budget, n,
                       {"target": target, "failed": failed, "allowed": budget * n})


@measure("number", (*ROWS, "refusals", "window", "target", "min_requests"), 10,
         "worst error rate over sliding windows [t, t+window) starting at each request "
         "(windows with >= min_requests requests, default 10; window default 30s) / (1 - target)")
def burn_rate(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Worst error rate over windows [t, t + window) starting at each request, / (1 - target).

    Windows holding fewer than min_requests (default 10) requests are skipped; window defaults
    to 30s, target to the availability objective or 99.9%. Interval: Wilson on the worst window.
    """
    target = _budget_target(spec, ctx, DEFAULT_BUDGET_TARGET)
    window = spec.params.get("window", DEFAULT_BURN_WINDOW_S)
    min_requests = int(spec.params.get("min_requests", DEFAULT_BURN_MIN_REQUESTS))
    mask = scope.mask(spec.filters)
    n = int(mask.sum())
    order = np.argsort(scope.ts[mask], kind="stable")
    ts = scope.ts[mask][order]
    failed = np.concatenate([[0], np.cumsum(~scope.ok[mask][order])])
    ends = np.searchsorted(ts, ts + window, side="left")
    totals = ends - np.arange(n)
    errors = failed[ends] - failed[:n]
    eligible = totals >= min_requests
    if not eligible.any():
        return _nothing(n, window_s=window, target=target, min_requests=min_requests)
    rates = np.where(eligible, errors / np.maximum(totals, 1), -1.0)
    # Among equally bad windows, the fullest gives the tightest interval.
    worst = int(np.lexsort((-totals, -rates))[0])
    low, high = wilson(int(errors[worst]), int(totals[worst]))
    budget = 1.0 - target
    return Measurement(float(rates[worst]) / budget, low / budget, high / budget, n, {
        "window_s": window, "target": target, "window_start": float(ts[worst]),
        "window_errors": int(errors[worst]), "window_requests": int(totals[worst]),
    })


# ---- cost and the ledger ----------------------------------------------------------------


def _unfiltered(spec: SLOSpec) -> bool:
    return not spec.filters


@measure("usd", ROWS, 10, "ledger cost_usd / user requests", **_LEDGER, orphans=True)
def cost_per_request(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Ledger cost_usd of the selected requests (joined by correlation id) / user requests.

    Without row selectors, ledger rows matching no request are added too. Bootstrap interval."""
    mask = scope.mask(spec.filters)
    n = int(mask.sum())
    orphan = scope.orphan_cost / n if n and _unfiltered(spec) else 0.0
    return _mean_with_offset(scope.cost[mask], orphan, ctx.rng_for(spec.name))


@measure("usd", ROWS, 10, "1000 * ledger cost_usd / user requests", **_LEDGER,
         orphans=True)
def cost_per_1k_requests(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """1000 * cost_per_request."""
    m = cost_per_request(scope, spec, ctx)
    return _scaled(m, 1000.0)


@measure("usd", ROWS, 10, "ledger cost_usd / seconds of the selected period * 3600",
         **_LEDGER, orphans=True)
def cost_per_hour(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Ledger cost / seconds of the selected period * 3600: this traffic kept up for an hour.

    Interval: the cost_per_request interval times the observed requests per hour."""
    m = cost_per_request(scope, spec, ctx)
    period = scope.period_s(spec.filters)
    if m.value is None or period <= 0:
        return _nothing(m.n)
    out = _scaled(m, m.n / period * 3600.0)
    out.detail["period_s"] = period
    return out


def _scaled(m: Measurement, factor: float) -> Measurement:
    def scale(v: float | None) -> float | None:
        return None if v is None else v * factor

    return Measurement(scale(m.value), scale(m.ci_low), scale(m.ci_high), m.n, m.detail)


@measure("ratio", ROWS, 10,
         "cache_read_input_tokens / (input_tokens + cache_creation_input_tokens + "
         "cache_read_input_tokens), summed over ledger calls", **_LEDGER, orphans=True)
def cache_hit_ratio(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Sum of cache_read_input_tokens / sum of all input tokens (input_tokens +
    cache_creation_input_tokens + cache_read_input_tokens) over the ledger calls.

    Bootstrap over requests (tokens of one request are not independent trials); n = calls."""
    mask = scope.mask(spec.filters)
    reads, totals = scope.cache_read[mask], scope.input_all[mask]
    calls = int(scope.calls[mask].sum())
    extra_read = extra_all = 0.0
    if _unfiltered(spec):
        extra_read, extra_all = scope.orphan_cache_read, scope.orphan_input_all
        calls += scope.orphan_calls
    total = float(totals.sum()) + extra_all
    if total <= 0:
        return _nothing(calls)
    value = (float(reads.sum()) + extra_read) / total
    k = max(len(reads), 1)

    def ratio(a: list[np.ndarray]) -> np.ndarray:
        # Orphan tokens are spread per request so the m-out-of-n replicates stay comparable.
        return ((a[0].mean(axis=-1) + extra_read / k)
                / np.maximum(a[1].mean(axis=-1) + extra_all / k, 1e-300))

    if reads.size:
        low, high = bootstrap_ci([reads, totals], ratio, ctx.rng_for(spec.name))
    else:
        low = high = value
    return Measurement(value, low, high, calls)


@measure("number", ROWS, 10,
         "mean ledger calls per user request (correlation_id = request_id)", **_LEDGER)
def llm_calls_per_request(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Mean number of ledger calls whose correlation_id is the request's id (0 if none)."""
    return _mean_with_offset(scope.calls[scope.mask(spec.filters)].astype(float), 0.0,
                             ctx.rng_for(spec.name))


@measure("number", ROWS, 1, "most ledger calls made for one user request", **_LEDGER)
def max_llm_calls_per_request(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Largest number of ledger calls made for one user request (exact)."""
    mask = scope.mask(spec.filters)
    n = int(mask.sum())
    if n == 0:
        return _nothing()
    calls = scope.calls[mask]
    worst = int(np.argmax(calls))
    request_id = scope.data.requests["request_id"].to_numpy()[mask][worst]
    return _exact(float(calls[worst]), n, request_id=request_id)


@measure("number", ROWS_NO_DURING, 10,
         "LLM calls per request started in a fault window / LLM calls per request started "
         "outside every fault window (needs both)", **_LEDGER)
def retry_amplification(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """(LLM calls per request started in a fault window) / (the same outside every window).

    Needs requests on both sides and calls outside; n = the smaller side. Bootstrap of the
    ratio, each side resampled on its own."""
    mask = scope.mask(spec.filters)
    faults = scope.phase == PHASES.index("faults")
    inside, outside = mask & faults, mask & ~faults
    n_in, n_out = int(inside.sum()), int(outside.sum())
    detail = {"requests_in_faults": n_in, "requests_outside": n_out}
    if n_in == 0 or n_out == 0:
        return _nothing(min(n_in, n_out), **detail)
    calls_in = scope.calls[inside].astype(float)
    calls_out = scope.calls[outside].astype(float)
    mean_in, mean_out = float(calls_in.mean()), float(calls_out.mean())
    detail |= {"calls_per_request_in_faults": mean_in, "calls_per_request_outside": mean_out}
    if mean_out == 0:
        return _nothing(min(n_in, n_out), **detail)
    rng = ctx.rng_for(spec.name)
    mean = lambda a: a[0].mean(axis=-1)  # noqa: E731
    with np.errstate(divide="ignore", invalid="ignore"):
        replicates = (bootstrap_replicates([calls_in], mean, rng)
                      / bootstrap_replicates([calls_out], mean, rng))
    low, high = percentile_ci(replicates)
    return Measurement(mean_in / mean_out, low, high, min(n_in, n_out), detail)


# ---- security and residency -------------------------------------------------------------


@measure("count", ROWS, 1, "requests whose reply held another tenant's canary")
def leaks(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Requests whose reply held at least one other tenant's canary (leaked_canaries non-empty).

    Detail `canaries`: the total number of canaries found."""
    mask = scope.mask(spec.filters)
    found = scope.leaked[mask]
    return _exact(float((found > 0).sum()), int(mask.sum()), canaries=int(found.sum()))


def _joined_tool_calls(scope: Scope, spec: SLOSpec) -> tuple[np.ndarray, np.ndarray]:
    """(positions of the requests the tool calls served, selection mask over tool calls)."""
    tools = scope.data.tool_calls
    if tools.empty:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    pos = scope.tool_positions()
    if _unfiltered(spec):
        return pos, np.ones(len(pos), dtype=bool)
    mask = scope.mask(spec.filters)
    return pos, (pos >= 0) & mask[np.maximum(pos, 0)]


@measure("count", ROWS, 1,
         "tool calls with status ok whose effective tenant differs from the tenant of the "
         "user request they served (joined by correlation_id)", **_TOOL_LOG)
def unauthorized_tool_calls(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Tool calls with status ok whose effective `tenant` is not the tenant of the user request
    they served (joined by correlation_id): data really crossed tenants, whatever the agent
    claims. Tool calls matching no request cannot be judged and are not counted."""
    pos, selected = _joined_tool_calls(scope, spec)
    if pos.size == 0:
        return _exact(0.0, 0, reason="the tool log holds no tool call")
    tools = scope.data.tool_calls
    joined = selected & (pos >= 0)
    requester = np.where(joined, scope.tenant[np.maximum(pos, 0)], None)
    effective = tools["tenant"].astype(object).where(tools["tenant"].notna(), None).to_numpy()
    ok = tools["status"].astype(object).to_numpy() == "ok"
    bad = joined & ok & (effective != requester)
    return _exact(float(bad.sum()), int(joined.sum()), unjoined=int((pos < 0).sum()))


@measure("count", ROWS, 1, "tool calls the tool server refused (authorized=false)",
         **_TOOL_LOG, orphans=True)
def blocked_tool_calls(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Tool calls the tool server refused (authorized=false). Informational: a defence at work."""
    pos, selected = _joined_tool_calls(scope, spec)
    if pos.size == 0:
        return _exact(0.0, 0, reason="the tool log holds no tool call")
    authorized = scope.data.tool_calls["authorized"].astype(object).to_numpy()
    refused = selected & (authorized == False)  # noqa: E712 (object array, None stays unknown)
    return _exact(float(refused.sum()), int(selected.sum()))


@measure("count", ("tenant", "during"), 1,
         "ledger calls of tenants whose region is eu served by a region other than eu",
         needs=("llm_calls",))
def residency_violations(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Ledger calls of a tenant whose home region is "eu" that were served with region != "eu".

    Uses the ledger's own tenant and ts (selectors tenant, during), so calls without a
    correlation id still count. Home regions: run["tenants"] (none: inconclusive)."""
    ledger = scope.data.llm_calls
    if not scope.regions:
        return _nothing(reason="the run does not say which region each tenant lives in")
    eu = [t for t, r in scope.regions.items() if r == "eu"]
    if ledger.empty or not eu:
        reason = "no tenant of the run lives in the eu" if not eu else "the ledger holds no call"
        return _exact(0.0, 0, eu_tenants=eu, reason=reason)
    rows = ledger["tenant"].isin(eu).to_numpy(dtype=bool, copy=True)
    if "tenant" in spec.filters:
        rows &= (ledger["tenant"] == spec.filters["tenant"]).to_numpy(dtype=bool, na_value=False)
    if "during" in spec.filters:
        ts = pd.to_numeric(ledger["ts"], errors="coerce").to_numpy(dtype=float)
        rows &= phases(ts, scope.windows) == PHASES.index(spec.filters["during"])
    bad = rows & (ledger["region"] != "eu").to_numpy(dtype=bool)
    return _exact(float(bad.sum()), int(rows.sum()), eu_tenants=eu,
                  regions=sorted({str(r) for r in ledger["region"][bad]}))


# ---- detection --------------------------------------------------------------------------


@measure("seconds", ("alert",), 1,
         "seconds from the first fault's apply until an alert (selector alert=<name>, default: "
         "any) first fired, read from alerts.jsonl (Prometheus); never fired: the SLO fails",
         needs=("alerts",))
def time_to_detect(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Seconds from the first fault's apply to the first firing of the alert named by the
    selector `alert` (any alert without it), from the run's alerts.jsonl (Prometheus firing
    episodes, at the query step's resolution). Episodes that started before the fault do not
    count: they were not caused by it. Never fired after the fault: the value is the run time
    left after the apply and the SLO fails. No faults, or no alerts.jsonl (the run had no
    Prometheus): no value (inconclusive). Exact (no interval)."""
    if not scope.windows:
        return _nothing(reason="no fault windows")
    alerts = scope.data.alerts or []  # None: `needs` made the SLO inconclusive already
    name = spec.selector.get("alert")
    applied = min(start for start, _ in scope.windows)
    matching = [a for a in alerts if name is None or a.get("alert") == name]
    before = [a for a in matching if float(a["ts"]) < applied]
    after = sorted((a for a in matching if float(a["ts"]) >= applied),
                   key=lambda a: float(a["ts"]))
    detail: dict[str, Any] = {"fault_applied": applied, "alert": name,
                              "firing_before_fault": len(before)}
    if not after:
        m = _exact(max(0.0, scope.end - applied), 0, detected=False, **detail)
        m.failed = True
        return m
    first = after[0]
    return _exact(float(first["ts"]) - applied, len(after), detected=True,
                  fired=first.get("alert"), step_s=first.get("step_s"), **detail)


# ---- recovery ---------------------------------------------------------------------------


@measure("seconds", (*ROWS_NO_DURING, "window", "target"), 1,
         "seconds from the last fault's revert until availability over [t, t+window) "
         "(default 5s) first meets target (default: the availability objective, else 99%)")
def recovery_time(scope: Scope, spec: SLOSpec, ctx: Context) -> Measurement:
    """Seconds from the last fault's revert to the first t whose window [t, t + window)
    (default 5s, within the run) has requests and availability >= target (default: the
    availability objective, else 99%). Candidates t: the revert and each later request start.
    Never recovered: the value is the run time left after the revert and the SLO fails.
    No faults: no value (inconclusive). Exact (no interval)."""
    if not scope.windows:
        return _nothing(reason="no fault windows")
    target = spec.params.get("target") or ctx.availability_target or DEFAULT_RECOVERY_TARGET
    window = spec.params.get("window", DEFAULT_RECOVERY_WINDOW_S)
    revert = scope.last_revert
    mask = scope.mask(spec.filters)
    order = np.argsort(scope.ts[mask], kind="stable")
    ts = scope.ts[mask][order]
    oks = np.concatenate([[0], np.cumsum(scope.ok[mask][order])])
    after = ts[ts >= revert]
    candidates = np.concatenate([[revert], after])
    candidates = candidates[candidates + window <= scope.end + 1e-9]
    first = np.searchsorted(ts, candidates, side="left")
    last = np.searchsorted(ts, candidates + window, side="left")
    counts = last - first
    good = oks[last] - oks[first]
    met = (counts > 0) & (good >= target * counts - 1e-9)
    detail = {"revert": revert, "window_s": window, "target": target,
              "requests_after_revert": int(after.size)}
    remaining = max(0.0, scope.end - revert)
    if not met.any():
        m = _exact(remaining, int(after.size), recovered=False, **detail)
        m.failed = True
        return m
    t = float(candidates[int(np.argmax(met))])
    return _exact(t - revert, int(after.size), recovered=True, **detail)
